package io.glimpse.gateway.chain;

/**
 * Where the gateway finds its backends: {@code host:port}, a gRPC target URI
 * ({@code dns:///svc:50051}), or {@code in-process:NAME} for one-JVM runs and tests.
 */
public record BackendTargets(String tokenizer, String pruner, String runner) {
}
