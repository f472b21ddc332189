package io.glimpse.common;

import io.glimpse.common.admission.FifoSlots;
import io.glimpse.common.error.GlimpseException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FifoSlotsTest {
    /** Waiters queue one after another and each holds its slot a little: they must get it in arrival order. */
    @Test
    void slotsGoToWaitersInArrivalOrderAcrossTheirCancellationChecks() throws Exception {
        FifoSlots slots = new FifoSlots(1);
        slots.acquire(() -> true, "test");
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int id = i;
            CountDownLatch queued = new CountDownLatch(1);
            Thread t = new Thread(() -> {
                queued.countDown();
                slots.acquire(() -> true, "test");
                order.add(id);
                slots.release();
            });
            t.start();
            queued.await();
            Thread.sleep(30);   // in the queue, past at least one 20 ms cancellation check
            threads.add(t);
        }
        Thread.sleep(60);   // every waiter has checked its cancellation a few times
        slots.release();
        for (Thread t : threads) {
            t.join(5000);
        }
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), order);
        assertEquals(0, slots.inUse());
    }

    @Test
    void aWaiterThatGivesUpLeavesTheQueueAndTheNextOneGetsTheSlot() throws Exception {
        FifoSlots slots = new FifoSlots(1);
        assertTrue(slots.tryAcquire());
        assertFalse(slots.tryAcquire(), "no barging past the holder");
        AtomicBoolean wanted = new AtomicBoolean(true);
        GlimpseException[] gaveUp = new GlimpseException[1];
        Thread quitter = new Thread(() -> gaveUp[0] = assertThrows(GlimpseException.class,
                () -> slots.acquire(wanted::get, "a slot")));
        quitter.start();
        Thread.sleep(30);
        CountDownLatch got = new CountDownLatch(1);
        Thread next = new Thread(() -> {
            slots.acquire(() -> true, "a slot");
            got.countDown();
        });
        next.start();
        Thread.sleep(30);
        wanted.set(false);
        quitter.join(5000);
        assertEquals(GlimpseException.Kind.CANCELLED, gaveUp[0].kind());
        assertTrue(gaveUp[0].getMessage().contains("gave up waiting for a slot"), gaveUp[0].getMessage());
        slots.release();
        assertTrue(got.await(5, java.util.concurrent.TimeUnit.SECONDS), "the slot went to the waiter still there");
        assertEquals(1, slots.inUse());
    }
}
