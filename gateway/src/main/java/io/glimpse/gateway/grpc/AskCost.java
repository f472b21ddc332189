package io.glimpse.gateway.grpc;

import io.glimpse.gateway.auth.AccessPolicy;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.Tokenization;

/** The most visual and new tokens an Ask may spend, read from its policy before any work; and what it spent. */
final class AskCost {
    private AskCost() {
    }

    /** Upper bound of visual tokens through prefill: per image by the tokenization, then the pruning budget. */
    static int visualTokensBound(AskRequest r, AccessPolicy p) {
        Tokenization t = r.getPolicy().getTokenization();
        int perImage = switch (t.getMode()) {
            case POOLED, FLEX_PREFIX -> t.getTokens() > 0 ? Math.min(t.getTokens(), p.visualTokensPerImage())
                    : p.visualTokensPerImage();
            default -> t.getMaxTokens() > 0 ? Math.min(t.getMaxTokens(), p.visualTokensPerImage()) : p.visualTokensPerImage();
        };
        int total = perImage * Math.max(1, r.getImagesCount());
        Pruning pr = r.getPolicy().getPruning();
        if (pr.getMethod() != Pruning.Method.NONE && pr.getMethod() != Pruning.Method.METHOD_UNSPECIFIED) {
            if (pr.getKeepTokens() > 0) {
                total = Math.min(total, pr.getGlobalBudget() ? pr.getKeepTokens() : pr.getKeepTokens() * r.getImagesCount());
            } else if (pr.getKeepRatio() > 0f && pr.getKeepRatio() <= 1f) {
                total = (int) Math.ceil(total * pr.getKeepRatio());
            }
        }
        return total;
    }

    static int maxNewTokens(AskRequest r, AccessPolicy p) {
        int m = r.getGeneration().getMaxNewTokens();
        return m > 0 ? m : p.defaultMaxNewTokens();
    }

    static double reserved(AskRequest r, AccessPolicy p) {
        return p.cost().units(visualTokensBound(r, p), maxNewTokens(r, p));
    }

    static double spent(AskResponse r, AccessPolicy p) {
        return p.cost().units(r.getUsage().getVisualTokensUsed(), r.getUsage().getGeneratedTokens());
    }

    /** mode/tokens + method/keep, for the access log. */
    static String summary(AskRequest r) {
        Tokenization t = r.getPolicy().getTokenization();
        Pruning pr = r.getPolicy().getPruning();
        String mode = (t.getMode() == Tokenization.Mode.MODE_UNSPECIFIED ? "FULL" : t.getMode().name())
                + (t.getTokens() > 0 ? ":" + t.getTokens() : "");
        String method = pr.getMethod() == Pruning.Method.METHOD_UNSPECIFIED ? "NONE" : pr.getMethod().name();
        String keep = pr.getKeepTokens() > 0 ? ":" + pr.getKeepTokens() : pr.getKeepRatio() > 0 ? ":" + pr.getKeepRatio() : "";
        return mode + "/" + method + keep + (pr.getThenCount() > 0 ? "+" + pr.getThenCount() : "");
    }
}
