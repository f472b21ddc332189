package io.glimpse.gateway.auth;

/**
 * A request's cost in units known at admission (docs/security.md): every visual token the policy
 * may send through prefill counts one unit, every new token it may generate counts
 * {@code decodeWeight} units — decode steps run one token at a time, so each costs the runner about
 * what prefilling several tokens does. Question tokens are small and bounded, and left out.
 */
public record RequestCost(double decodeWeight) {
    public static final double DEFAULT_DECODE_WEIGHT = 10;

    public double units(int visualTokens, int maxNewTokens) {
        return visualTokens + decodeWeight * maxNewTokens;
    }
}
