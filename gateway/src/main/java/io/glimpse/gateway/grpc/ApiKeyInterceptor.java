package io.glimpse.gateway.grpc;

import io.glimpse.gateway.auth.ApiKey;
import io.glimpse.gateway.auth.ApiKeys;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Bearer API keys on the public API: {@code authorization: Bearer <key>}. A missing, unknown or
 * revoked key is refused UNAUTHENTICATED before the call is read; the caller's key reaches the
 * service through the context (its id, never the key, goes to logs and metrics).
 */
public final class ApiKeyInterceptor implements ServerInterceptor {
    public static final Context.Key<ApiKey> KEY = Context.key("glimpse-api-key");
    public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final ApiKeys keys;

    public ApiKeyInterceptor(ApiKeys keys) {
        this.keys = keys;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String auth = headers.get(AUTHORIZATION);
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7) || auth.length() <= 7) {
            call.close(Status.UNAUTHENTICATED.withDescription(
                    "missing API key: send the metadata 'authorization: Bearer <key>'"), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        ApiKey key = keys.authenticate(auth.substring(7).strip());
        if (key == null) {
            call.close(Status.UNAUTHENTICATED.withDescription("unknown or revoked API key"), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        return Contexts.interceptCall(Context.current().withValue(KEY, key), call, headers, next);
    }
}
