package io.glimpse.gateway.chain;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tokens.TokenizationMode;

/**
 * The language model's positions against what a request will need, judged once, before anything is
 * tokenized. Each image takes its marker's tokens plus its visual tokens: the full grid at FULL (a clip's frames
 * pooled to the bundle's frame side when it has one), n x n at
 * POOLED, k at FLEX_PREFIX. With compact positions, tokens a pruning budget drops free their positions
 * too (at most {@code keep_tokens} per image, or in total with a global budget); in the original-position
 * layout an image keeps its whole span (all registers at FLEX_PREFIX) whatever is pruned. The prompt's
 * text takes at least three positions and the answer up to {@code max_new_tokens}. A request that cannot
 * fit is refused with what would.
 *
 * @param pooledSides       the sides the model was trained on, for suggestions
 * @param compact           every kept token takes the next position (config {@code "positions": "compact"})
 * @param imagePrefixTokens tokens of the marker before each image ("frame two": 2)
 * @param maxImages         images the prompt can name (0 = no limit)
 * @param framePoolSide     a request of several images takes each at FULL pooled to this side (0: the full grid)
 */
public record PositionBudget(int maxPositions, int gridTokens, int registers, int[] pooledSides, boolean compact,
                             int imagePrefixTokens, int maxImages, int framePoolSide) {

    /** The template's own tokens at least (begin, answer marker) plus one word of question. */
    static final int MIN_TEXT_TOKENS = 3;

    /** What the request's pruning keeps at most: per image, or in total with a global budget (0 = no cap). */
    public record Keep(int perImage, float ratio, int total) {
        public static final Keep ALL = new Keep(0, 0f, 0);
    }

    /**
     * @param tokens POOLED: n x n; FLEX_PREFIX: k (ignored otherwise)
     */
    public void check(int images, TokenizationMode mode, int tokens, Keep keep, int maxNewTokens) {
        if (maxImages > 0 && images > maxImages) {
            throw GlimpseException.invalid(images + " images, but the model's prompt marks at most " + maxImages
                    + " (config.json image_prefixes); send at most " + maxImages);
        }
        int span = span(mode, tokens, images);
        // max_new_tokens beyond the positions on its own is the runner's to refuse, against its cap
        if (span <= 0 || images == 0 || maxNewTokens >= maxPositions) {
            return;
        }
        long visual = visual(images, span, keep);
        long needed = (long) images * imagePrefixTokens + visual + MIN_TEXT_TOKENS + maxNewTokens;
        if (needed <= maxPositions) {
            return;
        }
        int room = maxPositions - MIN_TEXT_TOKENS - maxNewTokens;
        StringBuilder fits = new StringBuilder();
        int imagesThatFit = 0;
        while (imagesThatFit < images && (long) (imagesThatFit + 1) * imagePrefixTokens
                + visual(imagesThatFit + 1, span(mode, tokens, imagesThatFit + 1), keep) <= room) {
            imagesThatFit++;
        }
        if (imagesThatFit >= 1) {
            fits.append("at most ").append(imagesThatFit).append(imagesThatFit == 1 ? " image" : " images").append(" at this policy");
        }
        int best = 0;
        for (int side : pooledSides) {
            if ((long) images * (side * side + imagePrefixTokens) <= room) {
                best = Math.max(best, side);
            }
        }
        if (best > 0) {
            fits.append(fits.length() > 0 ? ", or " : "").append(images).append(images == 1 ? " image" : " images").append(" at POOLED ")
                    .append(best * best).append(" (").append(best).append('x').append(best).append(')');
        }
        if (compact && room > (long) images * imagePrefixTokens) {
            long perImage = (room - (long) images * imagePrefixTokens) / images;
            if (perImage >= 1 && perImage < span) {
                fits.append(fits.length() > 0 ? ", or " : "").append("pruning to at most ").append(perImage)
                        .append(" tokens per image");
            }
        }
        if (fits.length() == 0) {
            fits.append("lower max_new_tokens");
        }
        String markers = imagePrefixTokens > 0 ? images * imagePrefixTokens + " image markers, " : "";
        throw GlimpseException.invalid(images + (images == 1 ? " image" : " images") + " at " + mode + " need at least "
                + needed + " positions (" + visual + " visual, " + markers + MIN_TEXT_TOKENS + "+ text, "
                + maxNewTokens + " new) but the model has " + maxPositions + "; what fits: " + fits);
    }

    /** Visual tokens one image of a request of {@code images} takes before pruning (0: chosen per image). */
    private int span(TokenizationMode mode, int tokens, int images) {
        return switch (mode) {
            case FULL -> images > 1 && framePoolSide > 0 ? framePoolSide * framePoolSide : gridTokens;
            case POOLED -> tokens;
            case FLEX_PREFIX -> compact ? tokens : registers;
            case ADAPTIVE -> 0;   // the count is chosen per image; the runner checks the prompt it gets
        };
    }

    private long visual(int images, int span, Keep keep) {
        if (!compact) {
            return (long) images * span;
        }
        int perImage = span;
        if (keep.perImage() > 0) {
            perImage = Math.min(span, keep.perImage());
        } else if (keep.ratio() > 0) {
            perImage = Math.min(span, Math.max(1, (int) Math.ceil(keep.ratio() * span)));
        }
        long total = (long) images * perImage;
        return keep.total() > 0 ? Math.min(total, keep.total()) : total;
    }
}
