package io.glimpse.tokenizer.encode;

import io.glimpse.common.tensor.FloatTensor;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Recent vision-encoder results by a hash of the image's bytes, least recently used first out,
 * bounded in bytes: a client asking several questions about one image (or one question under two
 * token policies) pays decoding and the encoder once, as vLLM and SGLang cache multimodal
 * encodings. The encoder's output does not depend on the token policy — pooling, prefixes,
 * ADAPTIVE and pruning all start from it — so the bytes are the key; an entry lacking a part a
 * request needs (the ViT attention, the complexity score) counts as a miss and is replaced.
 */
public final class EncoderCache {
    /**
     * One image as the encoder left it. {@code complexity} is NaN when it was not computed;
     * {@code tileRows} x {@code tileCols} are an Idefics3 image's tiles (0 x 0: one tile or none).
     */
    public record Entry(FloatTensor features, FloatTensor attention, FloatTensor keys, int width, int height,
                        double complexity, int tileRows, int tileCols) {
        public Entry(FloatTensor features, FloatTensor attention, FloatTensor keys, int width, int height, double complexity) {
            this(features, attention, keys, width, height, complexity, 0, 0);
        }

        long bytes() {
            return 4L * (features.data().length + (attention == null ? 0 : attention.data().length)
                    + (keys == null ? 0 : keys.data().length)) + 64;
        }
    }

    private final long maxBytes;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    public EncoderCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** SHA-256 of the image's bytes. */
    public static String key(byte[] image) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(image));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The entry, when it has what the request needs; else null (a miss). */
    public synchronized Entry get(String key, boolean needAttention, boolean needComplexity) {
        Entry e = entries.get(key);
        if (e == null || (needAttention && e.attention() == null) || (needComplexity && Double.isNaN(e.complexity()))) {
            misses.incrementAndGet();
            return null;
        }
        hits.incrementAndGet();
        return e;
    }

    public synchronized void put(String key, Entry e) {
        long size = e.bytes();
        if (size > maxBytes) {
            return;
        }
        Entry old = entries.put(key, e);
        bytes += size - (old == null ? 0 : old.bytes());
        for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator(); bytes > maxBytes && it.hasNext(); ) {
            Map.Entry<String, Entry> eldest = it.next();
            if (eldest.getKey().equals(key)) {
                continue;
            }
            bytes -= eldest.getValue().bytes();
            it.remove();
        }
    }

    public synchronized long bytes() {
        return bytes;
    }

    public long hits() {
        return hits.get();
    }

    public long misses() {
        return misses.get();
    }
}
