package io.glimpse.gateway.chain;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NarrowStageLimitTest {
    private final AtomicLong now = new AtomicLong();
    private final NarrowStageLimit limit = new NarrowStageLimit(16, Duration.ofSeconds(2), now::get);

    private void admit(int n) {
        for (int i = 0; i < n; i++) {
            assertTrue(limit.tryAcquire(), "call " + i + " of " + n + " at limit " + limit.limit());
        }
    }

    /** A runner that takes 3 at once sets the limit to 3: the 4th Ask is refused at the gateway. */
    @Test
    void aRefusalTeachesTheStagesCapacity() {
        admit(16);
        for (int i = 0; i < 3; i++) {
            limit.enter("vlm-runner");
        }
        long fourth = limit.enter("vlm-runner");
        long[] later = new long[12];
        for (int i = 0; i < later.length; i++) {
            later[i] = limit.enter("vlm-runner");   // in transit behind it: they did not fill the runner
        }
        limit.leave("vlm-runner", fourth, true);   // the 4th was refused while 3 were inside
        assertEquals(3, limit.limit());
        assertEquals("vlm-runner", limit.narrowest());
        for (int i = 0; i < 16; i++) {
            limit.release();
        }
        admit(3);
        assertFalse(limit.tryAcquire(), "beyond the learned capacity: refused before any stage");
        limit.release();
        assertTrue(limit.tryAcquire(), "a finished call frees its place");
        for (long t : later) {
            limit.leave("vlm-runner", t, true);
        }
        assertEquals(3, limit.limit(), "the refusals behind it see the same three inside");
    }

    /** A refusal that races a slot's release (fewer inside than the stage holds) does not pull the limit below what is typical. */
    @Test
    void aRaceAtTheMarginDoesNotUndercutTheCapacity() {
        long[] inside = new long[3];
        for (int i = 0; i < 3; i++) {
            inside[i] = limit.enter("vlm-runner");
        }
        limit.leave("vlm-runner", limit.enter("vlm-runner"), true);
        assertEquals(3, limit.limit());
        limit.leave("vlm-runner", inside[0], false);
        limit.leave("vlm-runner", limit.enter("vlm-runner"), true);   // 2 inside: a slot was still being released
        assertEquals(3, limit.limit(), "the median seen recently (of 3 and 2), not the last count");
        now.addAndGet(Duration.ofSeconds(11).toNanos());   // beyond five probe periods the old count is forgotten
        limit.leave("vlm-runner", limit.enter("vlm-runner"), true);
        assertEquals(2, limit.limit());
    }

    /** Without refusals the limit grows back to the ceiling, a step per probe period; a refusal stops it again. */
    @Test
    void theLimitProbesUpwardAndNeverPassesTheCeiling() {
        limit.leave("vlm-runner", limit.enter("vlm-runner"), true);
        assertEquals(1, limit.limit(), "nothing else inside: one at a time, never zero");
        now.addAndGet(Duration.ofMillis(1999).toNanos());
        limit.tryAcquire();
        limit.release();
        assertEquals(1, limit.limit(), "no probe before the period");
        int[] seen = new int[12];   // 1 -> 2, 3, ..., 8, 10, 12, 15, 16
        for (int i = 0; i < seen.length; i++) {
            now.addAndGet(Duration.ofSeconds(2).toNanos());
            limit.tryAcquire();
            limit.release();
            seen[i] = limit.limit();
        }
        assertEquals(2, seen[0]);
        assertEquals(16, seen[seen.length - 1], java.util.Arrays.toString(seen));
        for (int i = 1; i < seen.length; i++) {
            assertTrue(seen[i] >= seen[i - 1] && seen[i] <= 16, java.util.Arrays.toString(seen));
        }
        long first = limit.enter("token-pruner");
        limit.leave("token-pruner", limit.enter("token-pruner"), true);
        assertEquals(1, limit.limit());
        limit.leave("token-pruner", first, false);
        assertEquals(1, limit.limit(), "a call that leaves normally teaches nothing");
    }
}
