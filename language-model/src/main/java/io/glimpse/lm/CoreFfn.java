package io.glimpse.lm;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import io.glimpse.common.error.GlimpseException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Every layer's FFN weights ({@code onnx/ffn_weights.bin}, memory-mapped): per layer the up weight
 * [f, d], the up bias [f] and the down weight transposed [f, d], float32 little-endian, so that the
 * rows of one neuron are contiguous and a neuron subset is a gather of whole rows. The full weights
 * are handed to the core decoder as tensors over the mapping (no copy) for the prefill; the decode
 * steps get only each layer's core neurons.
 */
public final class CoreFfn implements AutoCloseable {
    private final OrtEnvironment env;
    private final int layers;
    private final int hidden;
    private final int neurons;
    private final FloatBuffer weights;
    private final Map<String, OnnxTensor> full = new HashMap<>();

    CoreFfn(Path file, int layers, int hidden, int neurons, OrtEnvironment env) {
        this.env = env;
        this.layers = layers;
        this.hidden = hidden;
        this.neurons = neurons;
        long want = (long) layers * layerFloats() * Float.BYTES;
        if (want > Integer.MAX_VALUE) {
            throw GlimpseException.precondition(file + ": FFN weights of " + want + " bytes exceed one 2 GiB mapping;"
                    + " core-neuron decoding supports smaller FFNs");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() != want) {
                throw GlimpseException.precondition(file + " has " + ch.size() + " bytes; " + layers + " layers of up ["
                        + neurons + ", " + hidden + "], bias [" + neurons + "] and down transposed [" + neurons + ", "
                        + hidden + "] in float32 need " + want + " (tools/export.py writes it)");
            }
            this.weights = ch.map(FileChannel.MapMode.READ_ONLY, 0, want).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        } catch (IOException e) {
            throw GlimpseException.precondition("cannot read " + file + ": " + e.getMessage());
        }
        try {
            for (int l = 0; l < layers; l++) {
                full.put(name(l, "up_weight"), view(offset(l, 0), (long) neurons * hidden, neurons, hidden));
                full.put(name(l, "up_bias"), view(offset(l, 1), neurons, neurons));
                full.put(name(l, "down_weight_t"), view(offset(l, 2), (long) neurons * hidden, neurons, hidden));
            }
        } catch (OrtException e) {
            close();
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "FFN weights: " + e.getMessage(), e);
        }
    }

    /** The whole FFN of every layer, as the core decoder's inputs (shared; do not close). */
    Map<String, OnnxTensor> full() {
        return full;
    }

    /** A request's gathered rows as the core decoder's inputs; closing it returns the buffers for the next request. */
    public final class Gathered implements AutoCloseable {
        private final FloatBuffer[] buffers;
        private final Map<String, OnnxTensor> tensors;

        private Gathered(FloatBuffer[] buffers, Map<String, OnnxTensor> tensors) {
            this.buffers = buffers;
            this.tensors = tensors;
        }

        public Map<String, OnnxTensor> tensors() {
            return tensors;
        }

        @Override
        public void close() {
            tensors.values().forEach(OnnxTensor::close);
            spare.offer(buffers);
        }
    }

    // gather buffers of finished requests, reused: one set per request decoding at once (the runner bounds
    // that), so a request neither allocates nor zeroes ~beta of the FFN's bytes, nor waits for the GC to free them
    private final java.util.concurrent.ConcurrentLinkedQueue<FloatBuffer[]> spare = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /**
     * Only {@code kept[l]} (ascending indices) of each layer: rows copied into reused direct buffers,
     * as tensors for the core decoder; close the result when the generation ends.
     */
    public Gathered gather(int[][] kept) {
        FloatBuffer[] buffers = spare.poll();
        if (buffers == null) {
            buffers = new FloatBuffer[3 * layers];
        }
        Map<String, OnnxTensor> out = new HashMap<>();
        try {
            for (int l = 0; l < layers; l++) {
                int k = kept[l].length;
                FloatBuffer up = fit(buffers, 3 * l, (long) k * hidden);
                FloatBuffer bias = fit(buffers, 3 * l + 1, k);
                FloatBuffer down = fit(buffers, 3 * l + 2, (long) k * hidden);
                for (int n : kept[l]) {
                    up.put(rows(offset(l, 0) + (long) n * hidden, hidden));
                    bias.put(weights.get((int) (offset(l, 1) + n)));
                    down.put(rows(offset(l, 2) + (long) n * hidden, hidden));
                }
                out.put(name(l, "up_weight"), OnnxTensor.createTensor(env, up.flip(), new long[]{k, hidden}));
                out.put(name(l, "up_bias"), OnnxTensor.createTensor(env, bias.flip(), new long[]{k}));
                out.put(name(l, "down_weight_t"), OnnxTensor.createTensor(env, down.flip(), new long[]{k, hidden}));
            }
            return new Gathered(buffers, out);
        } catch (OrtException e) {
            out.values().forEach(OnnxTensor::close);
            spare.offer(buffers);
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "FFN weights: " + e.getMessage(), e);
        }
    }

    /** Buffer {@code i} of a set, cleared, with room for {@code floats} (grown when a request keeps more neurons). */
    private static FloatBuffer fit(FloatBuffer[] set, int i, long floats) {
        if (set[i] == null || set[i].capacity() < floats) {
            set[i] = direct(floats);
        }
        set[i].clear();
        return set[i];
    }

    private long layerFloats() {
        return 2L * neurons * hidden + neurons;
    }

    /** Start of part {@code p} (0 up, 1 bias, 2 down transposed) of layer {@code l}, in floats. */
    private long offset(int l, int p) {
        long base = l * layerFloats();
        return switch (p) {
            case 0 -> base;
            case 1 -> base + (long) neurons * hidden;
            default -> base + (long) neurons * hidden + neurons;
        };
    }

    private FloatBuffer rows(long from, long count) {
        return weights.duplicate().position((int) from).limit((int) (from + count));
    }

    private OnnxTensor view(long from, long count, long... shape) throws OrtException {
        return OnnxTensor.createTensor(env, rows(from, count).slice(), shape);
    }

    private static FloatBuffer direct(long floats) {
        return ByteBuffer.allocateDirect(Math.toIntExact(floats * Float.BYTES)).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    static String name(int layer, String part) {
        return "ffn." + layer + "." + part;
    }

    @Override
    public void close() {
        full.values().forEach(OnnxTensor::close);
        full.clear();
    }
}
