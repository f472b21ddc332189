package io.glimpse.lm;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import io.glimpse.common.error.GlimpseException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * The decode batch's keys and values kept in place: per layer and kind one buffer of [rows, kv heads,
 * capacity, head_dim], each row's tokens in slots [0, length). A step reads it through tensors over
 * the buffers (no copy) and the static-cache decoder returns only the new token's keys and values,
 * written into each row's next slot; a joining generation writes its own past into its row. Rows and
 * capacity grow geometrically (rows doubling up to the batch's most, capacity by half again up to the
 * model's positions), so a batch that fills one join at a time copies the slab a few times, not at
 * every join, and a lone generation holds one row, not the batch's most.
 */
public final class KvSlab {
    private final OrtEnvironment env;
    private final int kinds;      // 2 * layers
    private final int heads;
    private final int dim;
    private final int maxRows;
    private final int maxCapacity;
    private int rows;
    private int capacity;
    private long allocated;       // floats per buffer
    private FloatBuffer[] buffers;

    /**
     * @param maxRows     the most rows a batch has: row growth stops there
     * @param maxCapacity slots a row can ever need (the model's positions + 1): growth stops there
     */
    public KvSlab(OrtEnvironment env, int layers, int kvHeads, int headDim, int maxRows, int maxCapacity) {
        this.env = env;
        this.kinds = 2 * layers;
        this.heads = kvHeads;
        this.dim = headDim;
        this.maxRows = maxRows;
        this.maxCapacity = maxCapacity;
        this.buffers = new FloatBuffer[kinds];
    }

    public int capacity() {
        return capacity;
    }

    public int rows() {
        return rows;
    }

    /** Bytes the slab holds. */
    public long bytes() {
        return kinds * allocated * Float.BYTES;
    }

    /**
     * At least {@code needRows} rows of {@code needCapacity} slots, keeping the first {@code keepRows}
     * rows' first {@code keepLength} slots (what the batch holds; nothing else is copied). Rows double
     * and capacity grows by half again at least (within the most a batch has and a row can need), so a
     * batch that fills up or lengthens one step at a time copies its buffers only now and then. A new
     * batch ({@code keepRows == 0}) lays the kept buffers out afresh for its own rows — a step attends
     * over the whole capacity, so a capacity left by a batch of longer rows would cost every step —
     * and allocates only when they are too small.
     */
    public void ensure(int needRows, int needCapacity, int keepRows, int keepLength) {
        if (needRows > maxRows) {
            throw new IllegalArgumentException(needRows + " rows, the slab holds at most " + maxRows);
        }
        if (keepRows == 0 && allocated > 0) {
            int fit = Math.max(needCapacity, Math.min(maxCapacity, (needCapacity + 63) / 64 * 64));
            long perRow = (long) heads * fit * dim;
            if (perRow * needRows <= allocated) {
                capacity = fit;
                rows = (int) Math.min(maxRows, allocated / perRow);
                return;
            }
        }
        if (needRows <= rows && needCapacity <= capacity) {
            return;
        }
        int newRows = needRows <= rows ? rows : Math.max(needRows, Math.min(maxRows, Math.max(1, 2 * rows)));
        int grown = needCapacity <= capacity ? needCapacity : Math.max(needCapacity, capacity + capacity / 2);
        int newCapacity = Math.max(needCapacity, Math.min(maxCapacity, (grown + 63) / 64 * 64));
        int copyRows = Math.min(keepRows, rows);
        int copyLength = Math.min(keepLength, Math.min(capacity, newCapacity));
        long floats = (long) newRows * heads * newCapacity * dim;
        for (int k = 0; k < kinds; k++) {
            FloatBuffer next = ByteBuffer.allocateDirect(Math.toIntExact(floats * Float.BYTES))
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
            if (buffers[k] != null) {
                for (int r = 0; r < copyRows; r++) {
                    copyRow(buffers[k], capacity, r, next, newCapacity, r, copyLength);
                }
            }
            buffers[k] = next;
        }
        allocated = floats;
        rows = newRows;
        capacity = newCapacity;
    }

    /** Writes a sequence's own past ({@link PaddedPast}'s form: per kind [kv heads, length, head_dim]) into row {@code row}. */
    public void write(int row, float[][] past, int length) {
        for (int k = 0; k < kinds; k++) {
            FloatBuffer b = buffers[k];
            for (int h = 0; h < heads; h++) {
                b.position(((row * heads + h) * capacity) * dim);
                b.put(past[k], h * length * dim, length * dim);
            }
        }
    }

    /** Moves row {@code from}'s first {@code length} slots to row {@code to} (compacting the batch). */
    public void move(int from, int to, int length) {
        for (int k = 0; k < kinds; k++) {
            copyRow(buffers[k], capacity, from, buffers[k], capacity, to, length);
        }
    }

    /** Every head's first {@code length} slots of row {@code from} in {@code src} to row {@code to} in {@code dst}. */
    private void copyRow(FloatBuffer src, int srcCapacity, int from, FloatBuffer dst, int dstCapacity, int to, int length) {
        for (int h = 0; h < heads; h++) {
            FloatBuffer part = src.duplicate();
            part.position(((from * heads + h) * srcCapacity) * dim).limit(((from * heads + h) * srcCapacity + length) * dim);
            dst.position(((to * heads + h) * dstCapacity) * dim);
            dst.put(part);
        }
    }

    /** Writes each row's new key/value ({@code fresh[kind]}: [batch, kv heads, 1, head_dim]) into slot {@code slots[row]} (skipped when negative). */
    public void append(FloatBuffer[] fresh, int[] slots) {
        float[] one = new float[dim];
        for (int k = 0; k < kinds; k++) {
            FloatBuffer src = fresh[k];
            FloatBuffer b = buffers[k];
            for (int r = 0; r < slots.length; r++) {
                if (slots[r] < 0) {
                    continue;
                }
                for (int h = 0; h < heads; h++) {
                    src.position((r * heads + h) * dim);
                    src.get(one);
                    b.position(((r * heads + h) * capacity + slots[r]) * dim);
                    b.put(one);
                }
            }
        }
    }

    /** The first {@code batch} rows as the static-cache decoder's past (tensors over the buffers; the caller closes them). */
    public Map<String, OnnxTensor> past(int batch) {
        Map<String, OnnxTensor> out = new HashMap<>();
        try {
            for (int k = 0; k < kinds; k++) {
                FloatBuffer view = buffers[k].duplicate();
                view.position(0).limit(batch * heads * capacity * dim);
                out.put(PaddedPast.name(k), OnnxTensor.createTensor(env, view.slice(), new long[]{batch, heads, capacity, dim}));
            }
            return out;
        } catch (OrtException e) {
            out.values().forEach(OnnxTensor::close);
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "cannot view the decode batch's past: " + e.getMessage(), e);
        }
    }
}
