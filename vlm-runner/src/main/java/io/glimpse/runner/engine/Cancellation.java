package io.glimpse.runner.engine;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Set once when the caller goes away; listeners (e.g. aborting an in-flight ONNX run) fire once. */
public final class Cancellation {
    private volatile boolean cancelled;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

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
}
