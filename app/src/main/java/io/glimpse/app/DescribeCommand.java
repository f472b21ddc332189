package io.glimpse.app;

import com.google.protobuf.util.JsonFormat;
import io.glimpse.proto.v1.DescribeRequest;
import io.glimpse.proto.v1.MethodInfo;
import io.glimpse.proto.v1.ModelInfo;
import io.glimpse.proto.v1.ServiceInfo;
import io.glimpse.proto.v1.ServiceLimits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code glimpse describe}: the metadata call — what a gateway (or the embedded chain) serves. */
@Command(name = "describe", mixinStandardHelpOptions = true,
        description = "Show what a deployment serves: the model bundle and its trained budgets, the pruning methods"
                + " this bundle supports, and the limits in force (the gRPC Describe call).")
final class DescribeCommand implements Callable<Integer> {
    @Mixin
    RemoteOptions remote;

    @Mixin
    ModelOptions model;

    @Option(names = "--json", description = "Print the answer as JSON (the proto's JSON form).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (GlimpseConnection c = GlimpseConnection.open(remote, model, EmbeddedStack.Transport.IN_PROCESS)) {
            ServiceInfo info = c.blocking().withDeadlineAfter(30, TimeUnit.SECONDS).describe(DescribeRequest.getDefaultInstance());
            if (json) {
                System.out.println(JsonFormat.printer().preservingProtoFieldNames().print(info));
                return 0;
            }
            ModelInfo m = info.getModel();
            System.out.printf("model        %s (version %s, %s)%n", m.getName(), m.getVersion(), m.getModelType());
            if (m.getTileSize() > 0) {
                System.out.printf("tiles        %d x %d = %d tokens per %d px tile; images resized to a %d px longest edge,"
                                + " split into tiles plus the global image; %d LM positions%n", m.getGridH(), m.getGridW(),
                        m.getGridH() * m.getGridW(), m.getTileSize(), m.getLongestEdge(), m.getMaxPositions());
            } else {
                System.out.printf("grid         %d x %d = %d tokens from a %d px image; %d LM positions%n", m.getGridH(),
                        m.getGridW(), m.getGridH() * m.getGridW(), m.getImageSize(), m.getMaxPositions());
            }
            System.out.printf("POOLED       sides %s%s%n", m.getPooledSidesList(), m.getTileSize() > 0 ? " (per tile)" : "");
            System.out.printf("FLEX_PREFIX  %s%n", m.getRegisters() == 0 ? "no resampler"
                    : "up to " + m.getRegisters() + " registers, sufficiency trained at " + m.getPrefixLengthsList());
            System.out.printf("features     %s%n", String.join(", ", m.getFeaturesList()));
            System.out.println("methods");
            for (MethodInfo mi : info.getMethodsList()) {
                System.out.printf("  %-13s %s%s%n", mi.getMethod(), mi.getAvailable() ? "" : "UNAVAILABLE (" + mi.getUnavailableReason() + ") ",
                        mi.getSummary());
            }
            ServiceLimits l = info.getLimits();
            System.out.printf("limits       %d images of at most %d bytes and %d pixels (%d per request), %d-character"
                            + " questions, %d tokens by default; %d Asks and %d MiB in flight; deadline %d s%s%n",
                    l.getMaxImages(), l.getMaxImageBytes(), l.getMaxPixels(), l.getMaxRequestPixels(), l.getMaxQuestionChars(),
                    l.getMaxNewTokensDefault(), l.getMaxInFlight(), l.getMaxInFlightBytes() >> 20,
                    l.getDefaultDeadlineMs() / 1000, l.getApiKeysRequired() ? "; API keys required" : "");
            return 0;
        }
    }
}
