package io.glimpse.common.admission;

import io.glimpse.common.error.GlimpseException;

import java.time.Duration;
import java.util.concurrent.Semaphore;

/**
 * Bytes of requests a service holds at once. A call count alone does not bound memory when each
 * call may carry tens of megabytes; a call that would take the total past the budget is refused
 * at once (RESOURCE_EXHAUSTED with a retry-after), before any work.
 */
public final class ByteBudget {
    private static final int UNIT = 1024;

    private final String what;
    private final long maxBytes;
    private final Semaphore kib;

    public ByteBudget(String what, long maxBytes) {
        if (maxBytes < UNIT || maxBytes / UNIT > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("byte budget must be between 1 KiB and 2 TiB, got " + maxBytes);
        }
        this.what = what;
        this.maxBytes = maxBytes;
        this.kib = new Semaphore((int) (maxBytes / UNIT));
    }

    /** Reserves {@code bytes} until the permit closes; refuses when the budget cannot take them now. */
    public BoundedAdmission.Permit reserve(long bytes, Duration retryAfter) {
        int units = (int) Math.min(Integer.MAX_VALUE, Math.max(1, (bytes + UNIT - 1) / UNIT));
        if (bytes > maxBytes) {
            throw GlimpseException.invalid("request is " + bytes + " bytes; " + what + " takes at most " + maxBytes);
        }
        if (!kib.tryAcquire(units)) {
            throw GlimpseException.exhausted(what + " is busy: requests in flight hold its budget of " + (maxBytes >> 20)
                    + " MiB; retry in " + retryAfter.toMillis() + " ms or add replicas", retryAfter);
        }
        return () -> kib.release(units);
    }

    /** Bytes currently reserved. */
    public long inUse() {
        return maxBytes - (long) kib.availablePermits() * UNIT;
    }
}
