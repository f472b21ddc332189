package io.glimpse.runner.schedule;

import java.util.function.BooleanSupplier;

/**
 * One generation as the scheduler sees it: a prompt to prefill, a most tokens to decode, until
 * when its caller waits, and whether the caller has gone. The scheduler knows
 * nothing of the model; {@code payload} is what the executor keeps for the generation.
 */
public final class Sequence<P> {
    public enum State { WAITING, PREFILLING, DECODING, ENDED }

    private final P payload;
    private final int promptTokens;
    private final int maxNewTokens;
    private final long deadlineNanos;
    private final BooleanSupplier cancelled;
    State state = State.WAITING;
    int prefilled;
    int decoded;
    boolean chunkRunning; // a prefill lane runs one of its chunks now

    /**
     * @param deadlineNanos on the scheduler's clock; {@link Long#MAX_VALUE} = none
     */
    public Sequence(P payload, int promptTokens, int maxNewTokens, long deadlineNanos, BooleanSupplier cancelled) {
        if (promptTokens < 1 || maxNewTokens < 1) {
            throw new IllegalArgumentException("a sequence needs a prompt and at least one new token, got "
                    + promptTokens + " and " + maxNewTokens);
        }
        this.payload = payload;
        this.promptTokens = promptTokens;
        this.maxNewTokens = maxNewTokens;
        this.deadlineNanos = deadlineNanos;
        this.cancelled = cancelled;
    }

    public P payload() {
        return payload;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int maxNewTokens() {
        return maxNewTokens;
    }

    public State state() {
        return state;
    }

    /** Prompt tokens already run through the model. */
    public int prefilled() {
        return prefilled;
    }

    /** Decode steps it has taken (its first token comes from the prefill and is not one). */
    public int decoded() {
        return decoded;
    }

    /** Keys and values it may come to hold: its prompt and every token it may still generate. */
    int reservedTokens() {
        return promptTokens + maxNewTokens;
    }

    boolean cancelled() {
        return cancelled.getAsBoolean();
    }

    boolean expired(long now) {
        return now - deadlineNanos >= 0 && deadlineNanos != Long.MAX_VALUE;
    }

    @Override
    public String toString() {
        return "Sequence[" + state + ", prompt " + prefilled + "/" + promptTokens + ", decoded " + decoded + "/"
                + maxNewTokens + "]";
    }
}
