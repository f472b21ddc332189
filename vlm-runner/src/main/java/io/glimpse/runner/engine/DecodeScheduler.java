package io.glimpse.runner.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.glimpse.model.bundle.BundleConfig;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.model.onnx.OrtTensors;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.lm.KvSlab;
import io.glimpse.lm.LanguageModel;
import io.glimpse.lm.PaddedPast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Iteration-level scheduling of decode steps, as Orca and vLLM do it: a generation joins after its
 * own prefill and leaves at end-of-sequence, at its token limit or when its caller gives up; each
 * step runs every member's next token through one decoder batch, each row with its own past
 * (left-padded), attention mask and position, and each member samples from its own row with its
 * own seeded sampler. While the members stay the same the batch's presents are fed straight back
 * as its past; a join or a leave copies each member's own past out and pads the new batch once.
 * Batching the step reads the weights once for all members — what a decode step on a CPU (or a
 * GPU) is bound by.
 */
final class DecodeScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DecodeScheduler.class);

    private final LanguageModel lm;
    private final BundleConfig config;
    private final int maxBatch;
    private final AtomicLong steps;
    private final LinkedBlockingQueue<Member> joining = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    // the scheduler thread's own state
    private final List<Member> waiting = new ArrayList<>();   // prefilled, not yet in the batch
    private final List<Member> rows = new ArrayList<>();      // the batch's rows; null = a row whose generation ended
    private OrtSession.Result batch;     // the last step's presents, one per row
    private KvSlab slab;                 // with a static-cache decoder: the batch's keys and values, in place
    private long idleSince;              // when the last batch emptied
    private int total;                   // the padded past length of that batch
    private long waitingSince;           // when the oldest waiting generation arrived (0 = none waits)
    private long lastRebuildNanos;       // what the last re-padding of the batch cost
    private final java.util.function.IntSupplier prefilling;

    /** What a generation produced in the batch. */
    record Outcome(List<Long> generated, String finish, long decodeMicros) {
    }

    private static final class Member {
        final GenerationProgress progress;
        final Cancellation cancel;
        final CompletableFuture<Outcome> done = new CompletableFuture<>();
        final long t0 = System.nanoTime();
        float[][] past;
        int length;
        long position;
        float[] logits;
        boolean primed;   // its first token (from the prefill) is chosen and streamed

        Member(float[][] past, int length, long position, float[] logits, GenerationProgress progress, Cancellation cancel) {
            this.past = past;
            this.length = length;
            this.position = position;
            this.logits = logits;
            this.progress = progress;
            this.cancel = cancel;
        }
    }

    DecodeScheduler(LanguageModel lm, int maxBatch, AtomicLong steps,
                    java.util.function.IntSupplier prefilling) {
        this.lm = lm;
        this.prefilling = prefilling;
        this.config = lm.config();
        this.maxBatch = maxBatch;
        this.steps = steps;
        this.thread = new Thread(this::loop, "runner-decode");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Decodes one generation inside the shared batches, from its prefill's past and last logits;
     * returns when it ends, or at once (CANCELLED) when the call is cancelled — its row leaves the
     * batch at the next step.
     */
    Outcome decode(float[][] past, int length, long position, float[] logits, GenerationProgress progress,
                   Cancellation cancel) {
        Member m = new Member(past, length, position, logits, progress, cancel);
        cancel.onCancel(() -> m.done.completeExceptionally(GlimpseException.cancelled("generation stopped: the call was cancelled")));
        joining.add(m);
        try {
            return m.done.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "decode failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel.cancel();
            throw GlimpseException.cancelled("generation interrupted");
        }
    }

    /** An idle runner keeps its keys-and-values slab this long for the next batch. */
    private static final long SLAB_IDLE_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** A generation waits at most this long to join while others are still prefilling. */
    private static final long MAX_JOIN_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    private void loop() {
        while (!closed) {
            try {
                if (live() == 0 && waiting.isEmpty()) {
                    Member m = joining.poll(100, TimeUnit.MILLISECONDS);
                    if (m == null) {
                        if (slab != null && System.nanoTime() - idleSince > SLAB_IDLE_NANOS) {
                            slab = null;   // an idle runner holds no batch memory
                        }
                        continue;
                    }
                    waiting.add(m);
                }
                joining.drainTo(waiting);
                waiting.removeIf(m -> m.cancel.isCancelled() || m.done.isDone());
                endFinished();
                List<Member> admitted = admit();
                if (live() + admitted.size() == 0) {
                    release();
                    continue;
                }
                step(admitted);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Throwable t) {
                LOG.warn("decode batch of {} failed: {}", live(), t.toString());
                GlimpseException g = t instanceof GlimpseException ge ? ge
                        : new GlimpseException(GlimpseException.Kind.INTERNAL, "decode failed: " + t.getMessage(), t);
                rows.stream().filter(java.util.Objects::nonNull).forEach(m -> m.done.completeExceptionally(g));
                rows.clear();
                release();
                slab = null;   // what a failed step left in it is not reused
            }
        }
        release();
        slab = null;
    }

    private int live() {
        int n = 0;
        for (Member m : rows) {
            n += m == null ? 0 : 1;
        }
        return n;
    }

    /** The batch's members sample from their last logits; those that end leave their row (it goes dead). */
    private void endFinished() {
        for (int i = 0; i < rows.size(); i++) {
            Member m = rows.get(i);
            if (m != null && !sample(m)) {
                rows.set(i, null);
            }
        }
    }

    /**
     * A waiting generation's first token comes from its prefill and is streamed at once; it joins
     * the batch when nothing else is prefilling, when the batch is empty, or once it has waited
     * four times what the last re-padding cost (at most two seconds): joins come in waves, so one
     * re-padding of the batch serves several and costs at most a fifth of the decoding time.
     */
    private List<Member> admit() {
        List<Member> admitted = new ArrayList<>();
        for (Iterator<Member> it = waiting.iterator(); it.hasNext(); ) {
            Member m = it.next();
            if (!m.primed) {
                m.primed = true;
                if (!sample(m)) {
                    it.remove();
                }
            }
        }
        if (waiting.isEmpty()) {
            waitingSince = 0;
            return admitted;
        }
        long now = System.nanoTime();
        if (waitingSince == 0) {
            waitingSince = now;
        }
        long waited = now - waitingSince;
        boolean go = live() == 0 || prefilling.getAsInt() == 0
                || waited >= Math.min(MAX_JOIN_WAIT_NANOS, 4 * lastRebuildNanos);
        if (!go) {
            return admitted;
        }
        int room = maxBatch - live();
        for (Iterator<Member> it = waiting.iterator(); it.hasNext() && admitted.size() < room; ) {
            admitted.add(it.next());
            it.remove();
        }
        waitingSince = waiting.isEmpty() ? 0 : now;
        return admitted;
    }

    /** The member's next token from its last logits; false when its generation ends here (then it is finished). */
    private boolean sample(Member m) {
        if (m.cancel.isCancelled() || m.done.isDone()) {
            return false;
        }
        boolean more;
        try {
            more = m.progress.next(m.logits);
        } catch (RuntimeException e) {   // the caller's stream is gone: as good as cancelled
            m.cancel.cancel();
            return false;
        }
        if (!more) {
            m.done.complete(new Outcome(m.progress.generated(), m.progress.finish(), (System.nanoTime() - m.t0) / 1000));
        }
        return more;
    }

    /**
     * One decoder run for every row's next token. The batch is re-padded only when generations
     * join or when ended rows outnumber the live ones; otherwise its presents are the next past and
     * an ended row stays, masked to itself, until then.
     */
    private void step(List<Member> admitted) {
        if (lm.hasStaticCache()) {
            stepInPlace(admitted);
            return;
        }
        long t0 = System.nanoTime();
        boolean rebuilt = false;
        Map<String, OnnxTensor> past;
        Map<String, OnnxTensor> owned = null;
        // ended rows stay (masked to themselves) until generations join: compacting costs a copy
        // of every live row's past, more than a few steps of a few spare rows
        if (batch == null || !admitted.isEmpty()) {
            List<PaddedPast.Source> sources = new ArrayList<>();
            List<Member> next = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                Member m = rows.get(i);
                if (m != null) {
                    sources.add(batch == null ? PaddedPast.Source.of(m.past, m.length) : PaddedPast.Source.of(i, m.length));
                    next.add(m);
                }
            }
            for (Member m : admitted) {
                sources.add(PaddedPast.Source.of(m.past, m.length));
                next.add(m);
            }
            int newTotal = next.stream().mapToInt(m -> m.length).max().orElse(0);
            owned = PaddedPast.rebuild(lm.environment(), config, batch, total, sources, newTotal);
            past = owned;
            release();
            rows.clear();
            rows.addAll(next);
            total = newTotal;
            rows.forEach(m -> m.past = null);
            rebuilt = true;
            lastRebuildNanos = System.nanoTime() - t0;
        } else {
            past = PaddedPast.asPast(batch, config);
        }
        int b = rows.size();
        long[] ids = new long[b];
        long[] positions = new long[b];
        long[] mask = new long[b * (total + 1)];
        for (int i = 0; i < b; i++) {
            Member m = rows.get(i);
            if (m == null) {   // an ended row: attends to its own new token only
                mask[(i + 1) * (total + 1) - 1] = 1L;
                continue;
            }
            ids[i] = m.progress.last();
            positions[i] = m.position;
            java.util.Arrays.fill(mask, i * (total + 1) + total - m.length, (i + 1) * (total + 1), 1L);
        }
        long t1 = System.nanoTime();
        OrtSession.Result r;
        try {
            r = lm.step(lm.embed(ids), b, mask, positions, past, null);
        } finally {
            if (owned != null) {
                owned.values().forEach(OnnxTensor::close);
            }
        }
        if (batch != null) {
            batch.close();   // its presents were this run's past
        }
        batch = r;
        total += 1;
        int live = advance(r);
        steps.addAndGet(live);
        if (LOG.isDebugEnabled()) {
            LOG.debug("decode step: {} rows ({} live), past {}, {}prepare {} ms, run {} ms", b, live, total - 1,
                    rebuilt ? "re-padded, " : "", (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
        }
    }

    /**
     * One decoder run for every row's next token with the batch's keys and values in place: a join
     * moves the live rows to the front and writes each joiner's past into its row; the step reads the
     * rows through tensors over the buffers and only the new token's keys and values are written back.
     * Nothing copies the batch's past per step, and a join costs the joiners' own pasts only.
     */
    private void stepInPlace(List<Member> admitted) {
        long t0 = System.nanoTime();
        if (slab == null) {
            slab = new KvSlab(lm.environment(), config.numLayers(), config.numKvHeads(), config.headDim(), maxBatch,
                    config.maxPositions() + 1);
        }
        int longest = 0;
        for (Member m : rows) {
            longest = m == null ? longest : Math.max(longest, m.length);
        }
        for (Member m : admitted) {
            longest = Math.max(longest, m.length);
        }
        if (!admitted.isEmpty()) {
            List<Member> next = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                Member m = rows.get(i);
                if (m != null) {
                    if (next.size() != i) {
                        slab.move(i, next.size(), m.length);
                    }
                    next.add(m);
                }
            }
            slab.ensure(next.size() + admitted.size(), longest + 1, next.size(), longest);
            for (Member m : admitted) {
                slab.write(next.size(), m.past, m.length);
                m.past = null;
                next.add(m);
            }
            rows.clear();
            rows.addAll(next);
            lastRebuildNanos = System.nanoTime() - t0;
        } else {
            slab.ensure(rows.size(), longest + 1, rows.size(), longest);
        }
        int b = rows.size();
        int cap = slab.capacity();
        long[] ids = new long[b];
        long[] positions = new long[b];
        long[] mask = new long[b * (cap + 1)];
        int[] slots = new int[b];
        for (int i = 0; i < b; i++) {
            Member m = rows.get(i);
            mask[i * (cap + 1) + cap] = 1L;   // every row attends to its new token
            if (m == null) {
                slots[i] = -1;
                continue;
            }
            ids[i] = m.progress.last();
            positions[i] = m.position;
            java.util.Arrays.fill(mask, i * (cap + 1), i * (cap + 1) + m.length, 1L);
            slots[i] = m.length;
        }
        long t1 = System.nanoTime();
        Map<String, OnnxTensor> past = slab.past(b);
        OrtSession.Result r;
        try {
            r = lm.stepInPlace(lm.embed(ids), b, mask, positions, past, null);
        } finally {
            past.values().forEach(OnnxTensor::close);
        }
        int live = 0;
        try (r) {
            java.nio.FloatBuffer[] fresh = new java.nio.FloatBuffer[2 * config.numLayers()];
            for (int k = 0; k < fresh.length; k++) {
                String name = "new." + (k / 2) + (k % 2 == 0 ? ".key" : ".value");
                fresh[k] = ((OnnxTensor) r.get(name).orElseThrow(() -> new IllegalStateException("decoder has no " + name)))
                        .getFloatBuffer();
            }
            slab.append(fresh, slots);
            live = advance(r);
        }
        steps.addAndGet(live);
        if (LOG.isDebugEnabled()) {
            LOG.debug("decode step in place: {} rows ({} live), capacity {}, {}prepare {} ms, run {} ms", b, live, cap,
                    admitted.isEmpty() ? "" : admitted.size() + " joined, ", (t1 - t0) / 1_000_000,
                    (System.nanoTime() - t1) / 1_000_000);
        }
    }

    /** Each live row takes its logits from a step's result and moves on one token; returns how many did. */
    private int advance(OrtSession.Result r) {
        FloatTensor logits = OrtTensors.read(r.get("logits").orElseThrow());
        int vocab = logits.dim(logits.rank() - 1);
        int live = 0;
        for (int i = 0; i < rows.size(); i++) {
            Member m = rows.get(i);
            if (m == null) {
                continue;
            }
            live++;
            m.logits = java.util.Arrays.copyOfRange(logits.data(), i * vocab, (i + 1) * vocab);
            m.length += 1;
            m.position += 1;
        }
        return live;
    }

    private void release() {
        // the next batch reuses the slab (allocating and zeroing it per request cost a lone generation
        // up to half its throughput on the bench model); it goes after a few idle seconds
        idleSince = System.nanoTime();
        if (batch != null) {
            batch.close();
            batch = null;
        }
        if (rows.stream().allMatch(java.util.Objects::isNull)) {
            rows.clear();
        }
        total = 0;
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        thread.join(5000);
        for (Member m : joining) {
            m.done.completeExceptionally(GlimpseException.cancelled("the runner is shutting down"));
        }
        for (Member m : waiting) {
            m.done.completeExceptionally(GlimpseException.cancelled("the runner is shutting down"));
        }
    }
}
