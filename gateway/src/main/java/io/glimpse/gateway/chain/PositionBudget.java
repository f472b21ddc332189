package io.glimpse.gateway.chain;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tokens.TokenizationMode;

/**
 * The language model's positions against what a request will need, judged before anything is
 * tokenized: each image takes its span of positions (the full grid at FULL, n x n at POOLED, all
 * registers at FLEX_PREFIX — pruning keeps positions in this layout), the prompt's text at least
 * three, and the answer up to {@code max_new_tokens}. A request that cannot fit is refused with
 * what would.
 *
 * @param pooledSides the sides the model was trained on, for suggestions
 */
public record PositionBudget(int maxPositions, int gridTokens, int registers, int[] pooledSides) {
    /** The template's own tokens at least (begin, answer marker) plus one word of question. */
    static final int MIN_TEXT_TOKENS = 3;

    /**
     * @param tokens POOLED: n x n; FLEX_PREFIX: k (ignored otherwise)
     */
    public void check(int images, TokenizationMode mode, int tokens, int maxNewTokens) {
        int span = switch (mode) {
            case FULL -> gridTokens;
            case POOLED -> tokens;
            case FLEX_PREFIX -> registers;
            case ADAPTIVE -> 0;   // the count is chosen per image; the runner checks the prompt it gets
        };
        // max_new_tokens beyond the positions on its own is the runner's to refuse, against its cap
        if (span <= 0 || images == 0 || maxNewTokens >= maxPositions) {
            return;
        }
        long needed = (long) images * span + MIN_TEXT_TOKENS + maxNewTokens;
        if (needed <= maxPositions) {
            return;
        }
        int room = maxPositions - MIN_TEXT_TOKENS - maxNewTokens;
        StringBuilder fits = new StringBuilder();
        int imagesThatFit = room / span;
        if (imagesThatFit >= 1) {
            fits.append("at most ").append(imagesThatFit).append(imagesThatFit == 1 ? " image" : " images").append(" at this policy");
        }
        int best = 0;
        for (int side : pooledSides) {
            if ((long) images * side * side <= room) {
                best = Math.max(best, side);
            }
        }
        if (best > 0) {
            fits.append(fits.length() > 0 ? ", or " : "").append(images).append(images == 1 ? " image" : " images").append(" at POOLED ")
                    .append(best * best).append(" (").append(best).append('x').append(best).append(')');
        }
        if (fits.length() == 0) {
            fits.append("lower max_new_tokens");
        }
        throw GlimpseException.invalid(images + (images == 1 ? " image" : " images") + " at " + mode + " need at least "
                + needed + " positions (" + images + " x " + span + " visual, " + MIN_TEXT_TOKENS + "+ text, "
                + maxNewTokens + " new) but the model has " + maxPositions + "; what fits: " + fits);
    }
}
