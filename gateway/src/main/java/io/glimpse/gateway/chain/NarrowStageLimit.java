package io.glimpse.gateway.chain;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * How many Asks the gateway lets into the chain at once, learned from the backends. The configured
 * in-flight limit is a ceiling; when a stage refuses for load (RESOURCE_EXHAUSTED), the calls this
 * gateway had inside that stage at that moment are what the stage could take, and the limit drops
 * to that. Later Asks are then refused at the gateway in microseconds instead of after the earlier
 * stages have tokenized and pruned for nothing. A count can be off either way — a refusal may come
 * while a finished call's slot is still being released (fewer inside than the stage holds), or
 * before an earlier call's own refusal has come back (more) — so the limit is the median count over
 * the refusals of the last few probe periods, not the last count alone. Without
 * refusals for a probe period the limit rises again (by a quarter, at least one), so a stage that
 * gains replicas is used again; each probe past the real capacity costs at most one wasted call.
 *
 * <p>The alternative — holding a runner slot before tokenizing — would pin the Generate call to the
 * replica that granted the slot and add a round trip to every Ask; learning from refusals needs
 * neither, and a stage that never refuses is never limited.
 */
public final class NarrowStageLimit {
    public static final Duration DEFAULT_PROBE = Duration.ofSeconds(2);

    private final int ceiling;
    private final long probeNanos;
    private final LongSupplier clock;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Per stage, the calls inside it by the order they entered. */
    private final Map<String, java.util.concurrent.ConcurrentSkipListSet<Long>> inStage = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong entries = new java.util.concurrent.atomic.AtomicLong();
    private volatile int limit;
    private volatile long changedAt;
    private volatile String narrowest = "";
    /** Calls inside the refusing stage at recent refusals, with when: [count, nanos]. */
    private final java.util.ArrayDeque<long[]> recent = new java.util.ArrayDeque<>();
    private static final int MEMORY_PERIODS = 5;

    /** @param clock nanoseconds (System::nanoTime; tests inject their own) */
    public NarrowStageLimit(int ceiling, Duration probe, LongSupplier clock) {
        if (ceiling < 1) {
            throw new IllegalArgumentException("the in-flight ceiling must be >= 1, got " + ceiling);
        }
        this.ceiling = ceiling;
        this.probeNanos = probe.toNanos();
        this.clock = clock;
        this.limit = ceiling;
        this.changedAt = clock.getAsLong();
    }

    public NarrowStageLimit(int ceiling) {
        this(ceiling, DEFAULT_PROBE, System::nanoTime);
    }

    /** Admits one more Ask when the learned limit allows it; the caller must {@link #release()} it. */
    public boolean tryAcquire() {
        probe();
        while (true) {
            int now = inFlight.get();
            if (now >= limit) {
                return false;
            }
            if (inFlight.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    public void release() {
        inFlight.decrementAndGet();
    }

    /** An admitted Ask enters a stage (a backend call starts); the ticket is handed back on {@link #leave}. */
    public long enter(String stage) {
        long ticket = entries.incrementAndGet();
        inStage.computeIfAbsent(stage, s -> new java.util.concurrent.ConcurrentSkipListSet<>()).add(ticket);
        return ticket;
    }

    /**
     * It leaves the stage; {@code refusedForLoad} when the stage answered RESOURCE_EXHAUSTED. The
     * stage was full of calls that entered before the refused one: those still inside are what it
     * holds. Calls that entered after it, or entered before and were refused too (their refusals
     * come back first), did not fill it.
     */
    public void leave(String stage, long ticket, boolean refusedForLoad) {
        var inside = inStage.get(stage);
        inside.remove(ticket);
        if (refusedForLoad) {
            int others = inside.headSet(ticket).size();
            synchronized (this) {
                long now = clock.getAsLong();
                recent.addLast(new long[]{others, now});
                while (recent.size() > 64 || now - recent.peekFirst()[1] > MEMORY_PERIODS * probeNanos) {
                    recent.removeFirst();
                }
                long[] seen = recent.stream().mapToLong(r -> r[0]).sorted().toArray();
                long typical = seen[seen.length / 2];   // the (upper) median: robust to both races
                int learned = (int) Math.max(1, Math.min(ceiling, typical));
                if (learned < limit) {
                    limit = learned;
                    narrowest = stage;
                }
                changedAt = now;
            }
        }
    }

    private void probe() {
        if (limit >= ceiling || clock.getAsLong() - changedAt < probeNanos) {
            return;
        }
        synchronized (this) {
            long t = clock.getAsLong();
            if (limit < ceiling && t - changedAt >= probeNanos) {
                limit = Math.min(ceiling, limit + Math.max(1, limit / 4));
                changedAt = t;
            }
        }
    }

    public int limit() {
        return limit;
    }

    /** The stage whose refusal set the limit last ("" while none has refused). */
    public String narrowest() {
        return narrowest;
    }
}
