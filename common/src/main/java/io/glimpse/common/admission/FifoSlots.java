package io.glimpse.common.admission;

import io.glimpse.common.error.GlimpseException;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A fixed number of slots handed out strictly in arrival order. A freed slot goes straight to the
 * longest waiter, and a waiter that checks whether its caller still wants the slot keeps its place
 * meanwhile — a semaphore polled with timed tryAcquire (to notice cancellation) sends every waiter to
 * the back of the queue at each timeout, so under load some waited four times the median.
 */
public final class FifoSlots {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition handedOff = lock.newCondition();
    private final ArrayDeque<boolean[]> queue = new ArrayDeque<>();   // each waiter's "granted" flag
    private final int slots;
    private int free;

    public FifoSlots(int slots) {
        if (slots < 1) {
            throw new IllegalArgumentException("at least one slot, got " + slots);
        }
        this.slots = slots;
        this.free = slots;
    }

    /** A slot at once when one is free and nobody waits; false otherwise (never queues). */
    public boolean tryAcquire() {
        lock.lock();
        try {
            if (free > 0 && queue.isEmpty()) {
                free--;
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits its turn for a slot, checking every 20 ms that {@code stillWanted} holds; CANCELLED (and
     * out of the queue) when it no longer does or the thread is interrupted.
     */
    public void acquire(BooleanSupplier stillWanted, String what) {
        acquire(stillWanted, what, Integer.MAX_VALUE);
    }

    /**
     * As {@link #acquire(BooleanSupplier, String)}, but false at once when {@code maxWaiting} callers
     * already wait. Judged under the lock against the queue itself: a waiter stops counting the
     * moment it is handed its slot, not when its thread next runs, so a busy machine does not refuse
     * callers while the queue has room.
     */
    public boolean acquire(BooleanSupplier stillWanted, String what, int maxWaiting) {
        lock.lock();
        try {
            if (free > 0 && queue.isEmpty()) {
                free--;
                return true;
            }
            if (queue.size() >= maxWaiting) {
                return false;
            }
            boolean[] granted = new boolean[1];
            queue.add(granted);
            try {
                while (!granted[0]) {
                    handedOff.await(20, TimeUnit.MILLISECONDS);
                    if (!granted[0] && !stillWanted.getAsBoolean()) {
                        queue.remove(granted);
                        throw GlimpseException.cancelled("gave up waiting for " + what);
                    }
                }
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (!queue.remove(granted)) {
                    release();   // the slot arrived as we were interrupted: pass it on
                }
                throw GlimpseException.cancelled("interrupted waiting for " + what);
            }
        } finally {
            lock.unlock();
        }
    }

    public void release() {
        lock.lock();
        try {
            boolean[] next = queue.poll();
            if (next != null) {
                next[0] = true;
                handedOff.signalAll();
            } else if (free < slots) {
                free++;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Callers waiting for a slot now. */
    public int waiting() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Slots held now. */
    public int inUse() {
        lock.lock();
        try {
            return slots - free;
        } finally {
            lock.unlock();
        }
    }
}
