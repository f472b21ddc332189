package io.glimpse.gateway.chain;

import io.glimpse.common.error.GlimpseException;

import java.time.Duration;

/**
 * What the public API accepts before any backend is called.
 *
 * @param maxImages        images per request
 * @param maxImageBytes    bytes per encoded image
 * @param maxQuestionChars question length
 * @param defaultDeadline  applied when the caller sets none
 * @param maxInFlight      Asks the gateway runs at once; beyond it a call is refused with
 *                         RESOURCE_EXHAUSTED before any backend is called. The default fits inside
 *                         one tokenizer's running + queued slots (2 + 16), so a full gateway is
 *                         refused at its own door, not after a stage has worked on the call.
 * @param maxInFlightBytes request bytes the gateway holds at once (its memory budget for calls):
 *                         beyond it RESOURCE_EXHAUSTED, before any backend is called
 * @param maxNewTokensCap  the most new tokens a request may ask for, the runners' cap (the same
 *                         {@code --max-new-tokens-cap}): refused here, before any stage works on it
 */
public record GatewayLimits(int maxImages, int maxImageBytes, int maxQuestionChars, Duration defaultDeadline,
                            int maxInFlight, long maxInFlightBytes, int maxNewTokensCap) {
    public static final int DEFAULT_MAX_IN_FLIGHT = 16;
    public static final long DEFAULT_MAX_IN_FLIGHT_BYTES = 256L << 20;
    /** The runner's default cap (RunnerLimits.DEFAULT_MAX_NEW_TOKENS_CAP; this module does not see the runner's). */
    public static final int DEFAULT_MAX_NEW_TOKENS_CAP = 256;

    public GatewayLimits(int maxImages, int maxImageBytes, int maxQuestionChars, Duration defaultDeadline,
                         int maxInFlight, long maxInFlightBytes) {
        this(maxImages, maxImageBytes, maxQuestionChars, defaultDeadline, maxInFlight, maxInFlightBytes,
                DEFAULT_MAX_NEW_TOKENS_CAP);
    }

    public GatewayLimits(int maxImages, int maxImageBytes, int maxQuestionChars, Duration defaultDeadline) {
        this(maxImages, maxImageBytes, maxQuestionChars, defaultDeadline, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_IN_FLIGHT_BYTES);
    }

    public GatewayLimits(int maxImages, int maxImageBytes, int maxQuestionChars, Duration defaultDeadline, int maxInFlight) {
        this(maxImages, maxImageBytes, maxQuestionChars, defaultDeadline, maxInFlight, DEFAULT_MAX_IN_FLIGHT_BYTES);
    }

    public static GatewayLimits defaults() {
        return new GatewayLimits(16, 16 * 1024 * 1024, 2000, Duration.ofSeconds(60), DEFAULT_MAX_IN_FLIGHT,
                DEFAULT_MAX_IN_FLIGHT_BYTES);
    }

    /** New tokens asked for (0 = the default) against the cap. */
    public void checkNewTokens(int maxNewTokens, int minNewTokens) {
        if (maxNewTokens > maxNewTokensCap) {
            throw GlimpseException.invalid("generation.max_new_tokens " + maxNewTokens + " is above the cap of "
                    + maxNewTokensCap + " (--max-new-tokens-cap)");
        }
        if (minNewTokens > maxNewTokensCap) {
            throw GlimpseException.invalid("generation.min_new_tokens " + minNewTokens + " is above the cap of "
                    + maxNewTokensCap + " (--max-new-tokens-cap)");
        }
    }

    /** Checks the parts of a request the gateway can judge alone. */
    public void check(int images, int[] imageBytes, String question) {
        if (question == null || question.isBlank()) {
            throw GlimpseException.invalid("question is empty");
        }
        if (question.length() > maxQuestionChars) {
            throw GlimpseException.invalid("question is " + question.length() + " characters; the limit is " + maxQuestionChars);
        }
        if (images == 0) {
            throw GlimpseException.invalid("no images: send at least one");
        }
        if (images > maxImages) {
            throw GlimpseException.invalid("too many images: " + images + " (the limit is " + maxImages + ")");
        }
        for (int i = 0; i < imageBytes.length; i++) {
            if (imageBytes[i] == 0) {
                throw GlimpseException.invalid("images[" + i + "] is empty (0 bytes)");
            }
            if (imageBytes[i] > maxImageBytes) {
                throw GlimpseException.invalid("images[" + i + "] is " + imageBytes[i] + " bytes; the limit is " + maxImageBytes);
            }
        }
    }
}
