package io.glimpse.gateway.auth;

/**
 * Who may call the public API and what a call may cost.
 *
 * @param keys                 API keys; null = open (local use: no key asked, no quotas, every feature)
 * @param cost                 the cost model quotas are charged in
 * @param minNewTokensCap      {@code min_new_tokens} above this needs a key allowed {@code min_new_tokens}
 *                             (forcing long outputs is how a client makes every request expensive)
 * @param visualTokensPerImage what FULL or ADAPTIVE tokenization may send per image (the bundle's grid)
 * @param defaultMaxNewTokens  what {@code max_new_tokens = 0} means at the runner
 * @param logQuestions         put question text in the access log
 */
public record AccessPolicy(ApiKeys keys, RequestCost cost, int minNewTokensCap, int visualTokensPerImage,
                           int defaultMaxNewTokens, boolean logQuestions) {
    public static final String MIN_NEW_TOKENS = "min_new_tokens";
    public static final int DEFAULT_MIN_NEW_TOKENS_CAP = 8;
    public static final int DEFAULT_VISUAL_TOKENS_PER_IMAGE = 144;
    public static final int DEFAULT_MAX_NEW_TOKENS = 32;

    public static AccessPolicy open() {
        return new AccessPolicy(null, new RequestCost(RequestCost.DEFAULT_DECODE_WEIGHT), DEFAULT_MIN_NEW_TOKENS_CAP,
                DEFAULT_VISUAL_TOKENS_PER_IMAGE, DEFAULT_MAX_NEW_TOKENS, false);
    }

    public AccessPolicy withKeys(ApiKeys k) {
        return new AccessPolicy(k, cost, minNewTokensCap, visualTokensPerImage, defaultMaxNewTokens, logQuestions);
    }
}
