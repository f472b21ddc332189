package io.glimpse.gateway.grpc;

import io.glimpse.common.methods.MethodDescriptor;
import io.glimpse.common.methods.MethodNeed;
import io.glimpse.common.methods.MethodParam;
import io.glimpse.common.methods.PruningMethods;
import io.glimpse.gateway.auth.AccessPolicy;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.proto.v1.MethodInfo;
import io.glimpse.proto.v1.MethodParamInfo;
import io.glimpse.proto.v1.ServiceInfo;
import io.glimpse.proto.v1.ServiceLimits;
import io.glimpse.proto.v1.TokenizerInfo;

import java.util.Comparator;
import java.util.List;

/**
 * The answer of the metadata call: the tokenizer's account of its bundle, the method catalog
 * ({@link PruningMethods}, the one place methods are described) checked against that bundle's
 * parts, and the gateway's own limits.
 */
final class ServiceDescription {
    private ServiceDescription() {
    }

    static ServiceInfo of(TokenizerInfo tokenizer, GatewayLimits limits, AccessPolicy access) {
        List<String> features = tokenizer.getModel().getFeaturesList();
        ServiceInfo.Builder b = ServiceInfo.newBuilder()
                .setModel(tokenizer.getModel())
                .setGlimpseVersion(version())
                .setLimits(ServiceLimits.newBuilder()
                        .setMaxImages(limits.maxImages())
                        .setMaxImageBytes(limits.maxImageBytes())
                        .setMaxQuestionChars(limits.maxQuestionChars())
                        .setDefaultDeadlineMs(limits.defaultDeadline().toMillis())
                        .setMaxInFlight(limits.maxInFlight())
                        .setMaxInFlightBytes(limits.maxInFlightBytes())
                        .setMaxPixels(tokenizer.getMaxPixels())
                        .setMaxRequestPixels(tokenizer.getMaxRequestPixels())
                        .setMaxNewTokensDefault(access.defaultMaxNewTokens())
                        .setMaxNewTokensCap(limits.maxNewTokensCap())
                        .setApiKeysRequired(access.keys() != null));
        PruningMethods.all().stream().sorted(Comparator.comparingInt(d -> d.method().getNumber()))
                .forEach(d -> b.addMethods(method(d, features)));
        return b.build();
    }

    private static MethodInfo method(MethodDescriptor d, List<String> features) {
        MethodInfo.Builder m = MethodInfo.newBuilder().setMethod(d.method()).setSummary(d.summary());
        d.needs().stream().map(MethodNeed::feature).sorted().forEach(m::addNeeds);
        d.optional().stream().map(MethodNeed::feature).sorted().forEach(m::addOptionalNeeds);
        for (MethodParam p : d.params()) {
            m.addParams(MethodParamInfo.newBuilder().setName(p.name()).setDefaultValue(p.def())
                    .setAccepted(p.accepted())
                    .setDescription(p.doc()));
        }
        List<String> missing = m.getNeedsList().stream().filter(n -> !features.contains(n)).toList();
        m.setAvailable(missing.isEmpty());
        if (!missing.isEmpty()) {
            m.setUnavailableReason("this bundle has no " + String.join(", ", missing));
        }
        return m.build();
    }

    private static String version() {
        String v = ServiceDescription.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
