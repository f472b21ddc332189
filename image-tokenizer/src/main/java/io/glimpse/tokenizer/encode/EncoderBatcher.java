package io.glimpse.tokenizer.encode;

import io.glimpse.common.error.GlimpseException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Dynamic batching of the vision encoder across concurrent requests: the first waiting request
 * opens a batch, others join until it holds {@code maxBatch} images or {@code maxWaitMicros} have
 * passed, then one encoder run serves them all. Each image's result is exactly what a batch of one
 * gives (the encoder has no cross-image interaction; tests check the difference stays <= 1e-5).
 */
public final class EncoderBatcher implements AutoCloseable {
    private record Job(float[] pixels, int images, boolean attention, CompletableFuture<VisionOutputs> result) {
    }

    private final VisionEncoder encoder;
    private final int maxBatch;
    private final long maxWaitNanos;
    private final int plane;
    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicLong runs = new java.util.concurrent.atomic.AtomicLong();
    /** Requests decoding their images, about to join: a batch waits for them, never for nobody. */
    private final java.util.concurrent.atomic.AtomicInteger arriving = new java.util.concurrent.atomic.AtomicInteger();

    /** @param workers batches that may run at once (one ONNX Runtime run each) */
    public EncoderBatcher(VisionEncoder encoder, int maxBatch, long maxWaitMicros, int plane, int workers) {
        this.encoder = encoder;
        this.maxBatch = maxBatch;
        this.maxWaitNanos = TimeUnit.MICROSECONDS.toNanos(maxWaitMicros);
        this.plane = plane;
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(this::loop, "vision-encoder-batcher-" + i);
            t.setDaemon(true);
            t.start();
            this.workers.add(t);
        }
    }

    /** A request has started decoding its images and will call {@link #encode} (or {@link #leave}). */
    public void arrive() {
        arriving.incrementAndGet();
    }

    /** A request that {@link #arrive}d will not encode after all (bad input). */
    public void leave() {
        arriving.decrementAndGet();
    }

    /** Encodes {@code images} images (pixels concatenated), joining whatever batch is forming. */
    public VisionOutputs encode(float[] pixels, int images, boolean attention) {
        if (closed) {
            throw new GlimpseException(GlimpseException.Kind.UNAVAILABLE, "the image tokenizer is shutting down");
        }
        Job job = new Job(pixels, images, attention, new CompletableFuture<>());
        queue.add(job);
        arriving.decrementAndGet();
        try {
            return job.result().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw GlimpseException.cancelled("interrupted while waiting for the vision encoder");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "vision encoder failed: " + e.getCause(), e.getCause());
        }
    }

    private void loop() {
        while (!closed) {
            List<Job> batch = new ArrayList<>();
            try {
                Job first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                int images = first.images();
                long deadline = System.nanoTime() + maxWaitNanos;
                while (images < maxBatch) {
                    Job next = queue.peek();
                    if (next != null && images + next.images() > maxBatch) {
                        break;      // it opens the next batch
                    }
                    long left = deadline - System.nanoTime();
                    if (next == null && arriving.get() <= 0) {
                        break;      // nobody else is on the way: waiting would only add latency
                    }
                    next = left > 0 ? queue.poll(Math.min(left, 50_000), TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null && left > 0) {
                        continue;
                    }
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                    images += next.images();
                }
                run(batch, images);
            } catch (InterruptedException e) {
                batch.forEach(j -> j.result().completeExceptionally(e));
                return;
            } catch (RuntimeException e) {
                batch.forEach(j -> j.result().completeExceptionally(e));
            }
        }
    }

    /** Encoder runs so far (fewer than requests when batching works). */
    public long runs() {
        return runs.get();
    }

    private void run(List<Job> batch, int images) {
        runs.incrementAndGet();
        if (batch.size() == 1) {
            Job j = batch.get(0);
            j.result().complete(encoder.encode(j.pixels(), j.images(), j.attention()));
            return;
        }
        float[] pixels = new float[images * plane];
        boolean attention = false;
        int at = 0;
        for (Job j : batch) {
            System.arraycopy(j.pixels(), 0, pixels, at * plane, j.images() * plane);
            at += j.images();
            attention |= j.attention();
        }
        VisionOutputs all = encoder.encode(pixels, images, attention);
        at = 0;
        for (Job j : batch) {
            j.result().complete(new VisionOutputs(VisionOutputs.images(all.features(), at, j.images()),
                    j.attention() ? VisionOutputs.images(all.attentions(), at, j.images()) : null,
                    j.attention() ? VisionOutputs.images(all.keys(), at, j.images()) : null));
            at += j.images();
        }
    }

    @Override
    public void close() {
        closed = true;
        workers.forEach(Thread::interrupt);
        Job j;
        while ((j = queue.poll()) != null) {
            j.result().completeExceptionally(new GlimpseException(GlimpseException.Kind.UNAVAILABLE, "the image tokenizer is shutting down"));
        }
    }
}
