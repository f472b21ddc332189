package io.glimpse.runner.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.glimpse.common.bundle.BundleConfig;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.onnx.OrtTensors;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.lm.LanguageModel;
import io.glimpse.lm.PaddedPast;
import io.glimpse.lm.TextTokenizer;
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
    private final TextTokenizer tokenizer;
    private final int maxBatch;
    private final AtomicLong steps;
    private final LinkedBlockingQueue<Member> joining = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    // the scheduler thread's own state
    private final List<Member> active = new ArrayList<>();
    private List<Member> batchMembers = List.of();
    private OrtSession.Result batch;     // the last step's presents, rows in batchMembers' order
    private int total;                   // the padded past length of that batch

    /** What a generation produced in the batch. */
    record Outcome(List<Long> generated, String finish, long decodeMicros) {
    }

    private static final class Member {
        final Sampler sampler;
        final int maxNew;
        final int minNew;
        final TokenStream stream;
        final Cancellation cancel;
        final CompletableFuture<Outcome> done = new CompletableFuture<>();
        final List<Long> generated = new ArrayList<>();
        final long t0 = System.nanoTime();
        float[][] past;
        int length;
        long position;
        float[] logits;
        long next;
        String emitted = "";

        Member(float[][] past, int length, long position, float[] logits, Sampler sampler, int maxNew, int minNew,
               TokenStream stream, Cancellation cancel) {
            this.past = past;
            this.length = length;
            this.position = position;
            this.logits = logits;
            this.sampler = sampler;
            this.maxNew = maxNew;
            this.minNew = minNew;
            this.stream = stream;
            this.cancel = cancel;
        }
    }

    DecodeScheduler(LanguageModel lm, TextTokenizer tokenizer, int maxBatch, AtomicLong steps) {
        this.lm = lm;
        this.config = lm.config();
        this.tokenizer = tokenizer;
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
    Outcome decode(float[][] past, int length, long position, float[] logits, Sampler sampler, int maxNew, int minNew,
                   TokenStream stream, Cancellation cancel) {
        Member m = new Member(past, length, position, logits, sampler, maxNew, minNew, stream, cancel);
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

    private void loop() {
        while (!closed) {
            try {
                if (active.isEmpty()) {
                    Member m = joining.poll(100, TimeUnit.MILLISECONDS);
                    if (m == null) {
                        continue;
                    }
                    active.add(m);
                }
                while (active.size() < maxBatch) {
                    Member m = joining.poll();
                    if (m == null) {
                        break;
                    }
                    active.add(m);
                }
                chooseNextTokens();
                if (active.isEmpty()) {
                    release();
                    continue;
                }
                step();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Throwable t) {
                LOG.warn("decode batch of {} failed: {}", active.size(), t.toString());
                for (Member m : active) {
                    m.done.completeExceptionally(t instanceof GlimpseException g ? g
                            : new GlimpseException(GlimpseException.Kind.INTERNAL, "decode failed: " + t.getMessage(), t));
                }
                active.clear();
                release();
            }
        }
        release();
    }

    /** Each member samples from its last logits; those that end leave (end-of-sequence, limit, cancelled). */
    private void chooseNextTokens() {
        int eos = config.eosTokenId();
        for (Iterator<Member> it = active.iterator(); it.hasNext(); ) {
            Member m = it.next();
            if (m.cancel.isCancelled() || m.done.isDone()) {
                it.remove();
                continue;
            }
            int vocab = m.logits.length;
            if (m.generated.size() < m.minNew) {
                m.logits[eos] = Float.NEGATIVE_INFINITY;
            }
            int next = m.sampler.next(m.logits, 0, vocab);
            if (next == eos) {
                finish(m, "eos");
                it.remove();
                continue;
            }
            m.generated.add((long) next);
            String text = tokenizer.decode(m.generated.stream().mapToLong(Long::longValue).toArray());
            if (text.startsWith(m.emitted) && text.length() > m.emitted.length()) {
                try {
                    m.stream.onDelta(text.substring(m.emitted.length()));
                } catch (RuntimeException e) {   // the caller's stream is gone: as good as cancelled
                    m.cancel.cancel();
                }
                m.emitted = text;
            }
            if (m.generated.size() >= m.maxNew) {
                finish(m, "length");
                it.remove();
                continue;
            }
            m.next = next;
        }
    }

    private static void finish(Member m, String reason) {
        m.done.complete(new Outcome(List.copyOf(m.generated), reason, (System.nanoTime() - m.t0) / 1000));
    }

    /** One decoder run for every member's next token. */
    private void step() {
        int b = active.size();
        Map<String, OnnxTensor> past;
        Map<String, OnnxTensor> owned = null;
        if (!active.equals(batchMembers)) {
            for (int i = 0; i < batchMembers.size(); i++) {
                Member m = batchMembers.get(i);
                if (active.contains(m)) {
                    m.past = PaddedPast.row(batch, config, i, total, m.length);
                }
            }
            release();
            total = active.stream().mapToInt(m -> m.length).max().orElse(0);
            List<float[][]> rows = new ArrayList<>();
            int[] lengths = new int[b];
            for (int i = 0; i < b; i++) {
                rows.add(active.get(i).past);
                lengths[i] = active.get(i).length;
            }
            owned = PaddedPast.tensors(lm.environment(), config, rows, lengths, total);
            past = owned;
            active.forEach(m -> m.past = null);
            batchMembers = List.copyOf(active);
        } else {
            past = PaddedPast.asPast(batch, config);
        }
        long[] ids = new long[b];
        long[] positions = new long[b];
        long[] mask = new long[b * (total + 1)];
        for (int i = 0; i < b; i++) {
            Member m = active.get(i);
            ids[i] = m.next;
            positions[i] = m.position;
            java.util.Arrays.fill(mask, i * (total + 1) + total - m.length, (i + 1) * (total + 1), 1L);
        }
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
        FloatTensor logits = OrtTensors.read(r.get("logits").orElseThrow());
        int vocab = logits.dim(logits.rank() - 1);
        for (int i = 0; i < b; i++) {
            Member m = active.get(i);
            m.logits = java.util.Arrays.copyOfRange(logits.data(), i * vocab, (i + 1) * vocab);
            m.length += 1;
            m.position += 1;
        }
        steps.addAndGet(b);
    }

    private void release() {
        if (batch != null) {
            batch.close();
            batch = null;
        }
        batchMembers = List.of();
        total = 0;
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        thread.join(5000);
        for (Member m : joining) {
            m.done.completeExceptionally(GlimpseException.cancelled("the runner is shutting down"));
        }
    }
}
