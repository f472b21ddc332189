package io.glimpse.common;

import io.glimpse.common.admission.BoundedAdmission;
import io.glimpse.common.cost.PrefillCost;
import io.glimpse.common.error.GlimpseException;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BoundedAdmissionTest {
    @Test
    void beyondRunningAndQueuedIsRefusedAtOnce() throws Exception {
        BoundedAdmission a = new BoundedAdmission("runner", 1, 1);
        BoundedAdmission.Permit first = a.admit(() -> true);
        CountDownLatch queued = new CountDownLatch(1);
        AtomicReference<BoundedAdmission.Permit> second = new AtomicReference<>();
        Thread waiter = new Thread(() -> {
            queued.countDown();
            second.set(a.admit(() -> true));
        });
        waiter.start();
        queued.await();
        while (a.queued() == 0) {
            Thread.onSpinWait();
        }
        GlimpseException e = assertThrows(GlimpseException.class, () -> a.admit(() -> true));
        assertEquals(GlimpseException.Kind.RESOURCE_EXHAUSTED, e.kind());
        assertTrue(e.getMessage().contains("1 running and 1 queued"), e.getMessage());
        first.close();
        waiter.join(TimeUnit.SECONDS.toMillis(5));
        assertEquals(1, a.inFlight());
        second.get().close();
        assertEquals(0, a.inFlight());
    }

    @Test
    void waiterThatGivesUpIsCancelled() {
        BoundedAdmission a = new BoundedAdmission("runner", 1, 4);
        try (BoundedAdmission.Permit ignored = a.admit(() -> true)) {
            GlimpseException e = assertThrows(GlimpseException.class, () -> a.admit(() -> false));
            assertEquals(GlimpseException.Kind.CANCELLED, e.kind());
        }
        assertEquals(0, a.queued());
    }

    @Test
    void prefillCostFollowsTheDocumentedFormula() {
        // 4nd^2 + 2n^2d + 2ndm with n=10, d=4, m=8: 640 + 800 + 640 = 2080 MACs per layer
        assertEquals(2080.0, PrefillCost.layerMacs(10, 4, 8));
        assertEquals(2 * 3 * 2080.0, PrefillCost.prefillFlops(10, 4, 8, 3));
        assertEquals(2 * (2080.0 + 2 * PrefillCost.layerMacs(5, 4, 8)), PrefillCost.prefillFlopsPrunedAt(10, 5, 4, 8, 3, 1));
    }

    /** A refusal carries a retry-after that grows with how long slots are held. */
    @Test
    void refusalCarriesARetryAfter() {
        BoundedAdmission a = new BoundedAdmission("pruner", 1, 0);
        try (BoundedAdmission.Permit held = a.admit(() -> true)) {
            GlimpseException e = assertThrows(GlimpseException.class, () -> a.admit(() -> true));
            assertEquals(GlimpseException.Kind.RESOURCE_EXHAUSTED, e.kind());
            assertTrue(e.retryAfter() != null && e.retryAfter().toMillis() >= 50, String.valueOf(e.retryAfter()));
            assertTrue(e.getMessage().contains("retry in " + e.retryAfter().toMillis() + " ms"), e.getMessage());
            assertEquals(1, a.refused());
        }
    }

    /** Bytes held by calls in flight are bounded: a call that would pass the budget is refused, and its bytes come back on close. */
    @Test
    void byteBudgetBoundsTheBytesHeld() {
        io.glimpse.common.admission.ByteBudget b = new io.glimpse.common.admission.ByteBudget("gateway", 10L << 20);
        BoundedAdmission.Permit six = b.reserve(6L << 20, java.time.Duration.ofMillis(100));
        GlimpseException e = assertThrows(GlimpseException.class, () -> b.reserve(5L << 20, java.time.Duration.ofMillis(100)));
        assertEquals(GlimpseException.Kind.RESOURCE_EXHAUSTED, e.kind());
        assertEquals(100, e.retryAfter().toMillis());
        assertEquals(GlimpseException.Kind.INVALID_ARGUMENT,
                assertThrows(GlimpseException.class, () -> b.reserve(11L << 20, java.time.Duration.ZERO)).kind());
        six.close();
        assertEquals(0, b.inUse());
        b.reserve(9L << 20, java.time.Duration.ZERO).close();
    }
}
