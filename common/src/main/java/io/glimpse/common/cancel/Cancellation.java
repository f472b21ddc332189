package io.glimpse.common.cancel;

import io.glimpse.common.error.GlimpseException;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Set once when the caller goes away; listeners (e.g. aborting an in-flight ONNX run) fire once.
 *
 * <p>Long loops deep in domain code (pruning kernels, image decoding) call {@link #checkpoint()},
 * which reads the cancellation bound to the current thread by the service layer: work stops when
 * its caller gives up, without threading a parameter through every kernel signature.
 */
public final class Cancellation {
    private static final ThreadLocal<Cancellation> CURRENT = new ThreadLocal<>();

    private volatile boolean cancelled;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    /** Restores the previous binding when closed. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    public boolean isCancelled() {
        return cancelled;
    }

    public void cancel() {
        if (!cancelled) {
            cancelled = true;
            listeners.forEach(Runnable::run);
        }
    }

    public void onCancel(Runnable r) {
        listeners.add(r);
        if (cancelled) {
            r.run();
        }
    }

    /** Throws CANCELLED when this call was cancelled. */
    public void check() {
        if (cancelled) {
            throw GlimpseException.cancelled("stopped: the call was cancelled or its deadline passed");
        }
    }

    /** Makes {@code c} what {@link #checkpoint()} sees on this thread until the scope closes. */
    public static Scope bind(Cancellation c) {
        Cancellation previous = CURRENT.get();
        CURRENT.set(c);
        return () -> {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        };
    }

    /** Throws CANCELLED when the call this thread works for was cancelled; free when none is bound. */
    public static void checkpoint() {
        Cancellation c = CURRENT.get();
        if (c != null) {
            c.check();
        }
    }
}
