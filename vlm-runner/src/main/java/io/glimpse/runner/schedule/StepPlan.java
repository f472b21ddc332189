package io.glimpse.runner.schedule;

import java.util.List;

/**
 * What the executor runs in one step: every decoding sequence's next token as one batch, at most one
 * chunk of one prompt, and the sequences that leave before the step (their memory is freed, their
 * callers told why).
 *
 * @param prefill null when no prompt is waiting to prefill
 */
public record StepPlan<P>(List<Sequence<P>> decode, PrefillChunk<P> prefill, List<Departure<P>> departures) {
    public StepPlan {
        decode = List.copyOf(decode);
        departures = List.copyOf(departures);
    }

    public boolean idle() {
        return decode.isEmpty() && prefill == null && departures.isEmpty();
    }

    /** Prompt tokens [from, to) of {@code sequence}; {@code last} when it ends the prompt (its logits give the first token). */
    public record PrefillChunk<P>(Sequence<P> sequence, int from, int to) {
        public boolean last() {
            return to == sequence.promptTokens();
        }

        public int tokens() {
            return to - from;
        }
    }

    /** A sequence that leaves before the step because its caller went away or its deadline passed. */
    public record Departure<P>(Sequence<P> sequence, Reason reason) {
    }

    public enum Reason { CANCELLED, DEADLINE }
}
