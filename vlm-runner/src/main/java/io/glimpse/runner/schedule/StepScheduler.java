package io.glimpse.runner.schedule;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Decides, step by step, which generations join, continue, wait or leave — and knows nothing of
 * the model (vLLM v1 separates its scheduler from its model runner the same way). The decode lane
 * asks {@link #next()} for a {@link StepPlan} and reports with {@link #completed}; prefill lanes,
 * when there are any, ask {@link #nextChunk()} and report with {@link #chunkDone}. The clock is
 * injected, so tests drive it with a fake executor and a fake clock.
 *
 * <ul>
 *   <li><b>Admission</b> is first come, first served: a waiting sequence joins when the batch has a
 *       row and the keys-and-values memory has room for its prompt and every token it may generate;
 *       a later, smaller one never overtakes it, so no sequence starves.</li>
 *   <li><b>Decoding</b>: every joined sequence whose prompt is in takes one token per step.</li>
 *   <li><b>Chunked prefill</b>: prompts run in chunks, oldest first. With prefill lanes (a core
 *       beside the decode lane), a lane runs chunks while the batch decodes; a prompt is in after a
 *       few chunks and running streams do not wait for it. Without (one core), one chunk runs
 *       between decode steps, sized to cost under a decode step (probed from the steps it reports),
 *       so running streams keep their pace; with nothing decoding a prompt runs at once.</li>
 *   <li><b>Leaving</b>: a sequence whose caller went away or whose deadline passed leaves before the
 *       next step, wherever it is (waiting, mid-prompt, decoding); one whose chunk is running leaves
 *       when that chunk ends.</li>
 * </ul>
 * Thread-safe: callers submit from their own threads; lanes plan and report from theirs.
 */
public final class StepScheduler<P> {
    /**
     * @param maxBatch     sequences joined at once (rows of a decode batch)
     * @param kvTokens     keys-and-values positions all joined sequences may hold together
     * @param prefillLanes lanes that run prompt chunks beside the decode lane; 0 = chunks run in the
     *                     decode lane, between its steps
     * @param prefillChunk prompt tokens per chunk; 0 = {@link #LANE_CHUNK} in a prefill lane, and in
     *                     the decode lane as many as cost under a decode step (probed)
     */
    public record Limits(int maxBatch, long kvTokens, int prefillLanes, int prefillChunk) {
        public Limits {
            if (maxBatch < 1 || kvTokens < 1 || prefillLanes < 0 || prefillChunk < 0) {
                throw new IllegalArgumentException("scheduler limits need a batch of at least 1, room for keys and"
                        + " values, lanes >= 0 and a chunk >= 0, got " + maxBatch + ", " + kvTokens + ", "
                        + prefillLanes + ", " + prefillChunk);
            }
        }
    }

    /**
     * A chunk in a prefill lane: large enough that a run's fixed cost (reading every weight) stays a
     * small share of a full grid's prefill (a 576-token prompt takes two runs; 128-token chunks cost the
     * headline bench's throughput), small enough that an expired prompt stops within about half of one.
     */
    public static final int LANE_CHUNK = 512;
    /**
     * The smallest adaptive chunk. Any decoder run reads every weight once, so on a CPU even a
     * one-token chunk costs most of a decode step; smaller chunks would barely shorten the stall
     * while a 576-token prompt took hundreds of steps to get in.
     */
    public static final int MIN_ADAPTIVE_CHUNK = 16;
    /** The largest adaptive chunk. */
    public static final int MAX_ADAPTIVE_CHUNK = 1024;
    /** The first adaptive chunk, before any has been measured. */
    static final int FIRST_ADAPTIVE_CHUNK = 32;
    /** What an adaptive chunk aims to cost, in decode steps: a step plus a chunk within two steps. */
    static final double CHUNK_STEPS = 0.9;
    private static final double EWMA = 0.25;

    private final Limits limits;
    private final LongSupplier clock;
    private final ArrayDeque<Sequence<P>> waiting = new ArrayDeque<>();
    private final List<Sequence<P>> joined = new ArrayList<>();   // in the order they joined
    private final List<StepPlan.Departure<P>> departed = new ArrayList<>();   // not yet handed to the decode lane
    private long reserved;
    private double stepNanos = Double.NaN;   // a decode step, smoothed
    private int adaptiveChunk = FIRST_ADAPTIVE_CHUNK;

    public StepScheduler(Limits limits, LongSupplier clock) {
        this.limits = limits;
        this.clock = clock;
    }

    public Limits limits() {
        return limits;
    }

    /** Queues a generation; it joins at a later step. */
    public synchronized void submit(Sequence<P> s) {
        if (s.state != Sequence.State.WAITING) {
            throw new IllegalStateException("already submitted: " + s);
        }
        waiting.add(s);
        notifyAll();
    }

    /** The decode lane waits until it may have something to do or {@code millis} pass. */
    public synchronized void awaitStep(long millis) throws InterruptedException {
        if (!hasStep()) {
            wait(millis);
        }
    }

    /** A prefill lane waits until a prompt has a chunk to run or {@code millis} pass; the chunk, or null. */
    public synchronized StepPlan.PrefillChunk<P> awaitChunk(long millis) throws InterruptedException {
        StepPlan.PrefillChunk<P> c = nextChunk();
        if (c == null) {
            wait(millis);
            c = nextChunk();
        }
        return c;
    }

    private boolean hasStep() {
        if (!departed.isEmpty() || limits.prefillLanes() == 0 && (!waiting.isEmpty() || !joined.isEmpty())) {
            return true;
        }
        return joined.stream().anyMatch(s -> s.state == Sequence.State.DECODING);
    }

    public synchronized int waitingCount() {
        return waiting.size();
    }

    public synchronized int joinedCount() {
        return joined.size();
    }

    /**
     * The decode lane's next step: the sequences that left, every decoding sequence, and (without
     * prefill lanes) at most one prompt chunk.
     */
    public synchronized StepPlan<P> next() {
        refresh();
        List<Sequence<P>> decode = new ArrayList<>();
        for (Sequence<P> s : joined) {
            if (s.state == Sequence.State.DECODING) {
                decode.add(s);
            }
        }
        StepPlan.PrefillChunk<P> chunk = null;
        if (limits.prefillLanes() == 0) {
            chunk = chunkFor(decode.isEmpty() ? Integer.MAX_VALUE
                    : limits.prefillChunk() > 0 ? limits.prefillChunk() : adaptiveChunk);
        }
        List<StepPlan.Departure<P>> out = List.copyOf(departed);
        departed.clear();
        return new StepPlan<>(decode, chunk, out);
    }

    /** A prefill lane's next chunk: the oldest prompt not already running a chunk, or null. */
    public synchronized StepPlan.PrefillChunk<P> nextChunk() {
        if (limits.prefillLanes() == 0) {
            throw new IllegalStateException("this scheduler runs chunks in the decode lane");
        }
        refresh();
        return chunkFor(limits.prefillChunk() > 0 ? limits.prefillChunk() : LANE_CHUNK);
    }

    private StepPlan.PrefillChunk<P> chunkFor(int most) {
        for (Sequence<P> s : joined) {
            if (s.state == Sequence.State.PREFILLING && !s.chunkRunning) {
                s.chunkRunning = true;
                return new StepPlan.PrefillChunk<>(s, s.prefilled, s.prefilled + Math.min(most, s.promptTokens() - s.prefilled));
            }
        }
        return null;
    }

    /** Departures, then joins. */
    private void refresh() {
        long now = clock.getAsLong();
        depart(waiting, now);
        depart(joined, now);
        boolean joinedAny = false;
        while (!waiting.isEmpty() && joined.size() < limits.maxBatch()
                && (joined.isEmpty() || reserved + waiting.peek().reservedTokens() <= limits.kvTokens())) {
            Sequence<P> s = waiting.poll();
            s.state = Sequence.State.PREFILLING;
            reserved += s.reservedTokens();
            joined.add(s);
            joinedAny = true;
        }
        if (joinedAny || !departed.isEmpty()) {
            notifyAll();   // a prefill lane may have a prompt now; the decode lane, departures to hand out
        }
    }

    /**
     * The decode lane ran {@code plan}: {@code ended} are the sequences that finished in it (end of
     * sequence or their token limit, including one whose first token, from the last prompt chunk,
     * ended it); {@code decodeNanos} and {@code prefillNanos} are what the decode batch and the chunk cost.
     */
    public synchronized void completed(StepPlan<P> plan, Collection<Sequence<P>> ended, long decodeNanos,
                                       long prefillNanos) {
        if (!plan.decode().isEmpty()) {
            stepNanos = smooth(stepNanos, decodeNanos);
        }
        for (Sequence<P> s : plan.decode()) {
            if (s.state == Sequence.State.DECODING) {
                s.decoded++;
            }
        }
        StepPlan.PrefillChunk<P> c = plan.prefill();
        if (c != null) {
            if (!plan.decode().isEmpty() && limits.prefillChunk() == 0) {
                adaptiveChunk = nextAdaptiveChunk(c.tokens(), prefillNanos);
            }
            chunkRan(c);
        }
        for (Sequence<P> s : ended) {
            leave(s);
        }
    }

    /** A prefill lane ran {@code c}; {@code ended}: its last chunk's first token ended the sequence (or it failed). */
    public synchronized void chunkDone(StepPlan.PrefillChunk<P> c, boolean ended) {
        chunkRan(c);
        if (ended) {
            leave(c.sequence());
        }
        notifyAll();   // the decode lane has a new member or a departure; a lane, the next chunk
    }

    private void chunkRan(StepPlan.PrefillChunk<P> c) {
        Sequence<P> s = c.sequence();
        s.chunkRunning = false;
        if (s.state == Sequence.State.PREFILLING) {
            s.prefilled = c.to();
            if (c.last()) {
                s.state = Sequence.State.DECODING;
            }
        }
    }

    /**
     * The next chunk size: an eighth more while a chunk of this size costs under
     * {@link #CHUNK_STEPS} decode steps, a fifth less when it costs more (slow up, fast down, so it
     * hovers just under the target). A chunk's cost is not proportional to its tokens (every run
     * reads all weights), so the size is probed, not computed.
     */
    private int nextAdaptiveChunk(int tokens, long nanos) {
        if (tokens < adaptiveChunk) {
            return adaptiveChunk;   // a prompt's last, shorter chunk says nothing about this size
        }
        int next = nanos <= CHUNK_STEPS * stepNanos ? adaptiveChunk + Math.max(1, adaptiveChunk / 8)
                : adaptiveChunk * 4 / 5;
        return Math.max(MIN_ADAPTIVE_CHUNK, Math.min(MAX_ADAPTIVE_CHUNK, next));
    }

    /** Every sequence still waiting or joined, all ended: the runner is shutting down. */
    public synchronized List<Sequence<P>> drain() {
        List<Sequence<P>> all = new ArrayList<>(joined);
        all.addAll(waiting);
        joined.clear();
        waiting.clear();
        reserved = 0;
        all.forEach(s -> s.state = Sequence.State.ENDED);
        notifyAll();
        return all;
    }

    private void leave(Sequence<P> s) {
        if (s.state != Sequence.State.ENDED && joined.remove(s)) {
            reserved -= s.reservedTokens();
        }
        s.state = Sequence.State.ENDED;
    }

    private void depart(Collection<Sequence<P>> from, long now) {
        for (Iterator<Sequence<P>> it = from.iterator(); it.hasNext(); ) {
            Sequence<P> s = it.next();
            if (s.chunkRunning) {
                continue;   // its chunk's lane still uses its memory: it leaves when the chunk ends
            }
            StepPlan.Reason why = s.cancelled() ? StepPlan.Reason.CANCELLED : s.expired(now) ? StepPlan.Reason.DEADLINE : null;
            if (why != null) {
                it.remove();
                if (s.state != Sequence.State.WAITING) {
                    reserved -= s.reservedTokens();
                }
                s.state = Sequence.State.ENDED;
                departed.add(new StepPlan.Departure<>(s, why));
            }
        }
    }

    private static double smooth(double old, double sample) {
        return Double.isNaN(old) ? sample : old + EWMA * (sample - old);
    }
}
