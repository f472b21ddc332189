package io.glimpse.tokenizer;

import io.glimpse.common.admission.BoundedAdmission;
import io.glimpse.model.bundle.BundleValidator;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.tokenizer.encode.EncoderCache;
import io.glimpse.tokenizer.encode.ImageTokenizerEngine;
import io.glimpse.tokenizer.grpc.ImageTokenizerService;
import io.glimpse.tokenizer.image.ImageLimits;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/** Wiring of the image-tokenizer service; tests and {@code glimpse serve} both use {@link #start}. */
public final class TokenizerServer {
    private static final Logger LOG = LoggerFactory.getLogger(TokenizerServer.class);
    public static final int DEFAULT_MAX_IMAGES = 16;   // a clip of sixteen frames, as detail models take them
    /** Decoding and the encoder are CPU-bound: about one request per core runs at once. */
    public static final int DEFAULT_MAX_CONCURRENT = 2;
    /**
     * Each queued request holds its message (up to the message limit), so the queue is no longer
     * than a gateway's in-flight limit needs.
     */
    public static final int DEFAULT_MAX_QUEUED = 16;

    /** Encoder results kept for repeated images: 64 MiB, about 170 images of the default model with their ViT graphs. */
    public static final long DEFAULT_ENCODER_CACHE_BYTES = 64L << 20;

    /** @param encoderCacheBytes recent encoder results kept by image hash (0 = no cache) */
    public record Config(ModelBundle bundle, OrtSessionFactory sessions, ImageLimits limits, int maxImages,
                         int maxConcurrent, int maxQueued, ImageTokenizerEngine.Batching batching, ServerConfig server,
                         long encoderCacheBytes) {
        public Config(ModelBundle bundle, OrtSessionFactory sessions, ImageLimits limits, int maxImages, int maxConcurrent,
                      int maxQueued, ImageTokenizerEngine.Batching batching, ServerConfig server) {
            this(bundle, sessions, limits, maxImages, maxConcurrent, maxQueued, batching, server, DEFAULT_ENCODER_CACHE_BYTES);
        }

        public static Config defaults(ModelBundle bundle, OrtSessionFactory sessions, ServerConfig server) {
            return new Config(bundle, sessions, ImageLimits.defaults(), DEFAULT_MAX_IMAGES, DEFAULT_MAX_CONCURRENT,
                    DEFAULT_MAX_QUEUED, ImageTokenizerEngine.Batching.OFF, server);
        }

        public Config withServer(ServerConfig s) {
            return new Config(bundle, sessions, limits, maxImages, maxConcurrent, maxQueued, batching, s, encoderCacheBytes);
        }

        /**
         * Worst-case memory of requests in the tokenizer at these limits (docs/operations.md): every
         * admitted or queued call holds its message; each running call also holds one image's bytes
         * twice (Java and native copies), one decoded image (3 bytes a pixel) and the encoder input:
         * {@code encoderInput} (the family's vision side says how much: {@link ImageTokenizerEngine#worstCaseInputBytes}).
         */
        public long worstCaseRequestBytes(long encoderInput) {
            long perRunning = 2L * limits.maxBytes() + 3L * limits.maxPixels() + encoderInput;
            return (long) (maxConcurrent + maxQueued) * server.maxInboundBytes() + maxConcurrent * perRunning
                    + encoderCacheBytes;
        }
    }

    private TokenizerServer() {
    }

    public static ServiceHost start(Config c, List<ServerInterceptor> interceptors) {
        return start(c, interceptors, new SimpleMeterRegistry());
    }

    public static ServiceHost start(Config c, List<ServerInterceptor> interceptors, MeterRegistry meters) {
        // a bundle this service cannot use fails here, every problem named, not at the first request
        BundleValidator.require(c.bundle(), BundleValidator.Part.VISION);
        ImageTokenizerEngine engine = new ImageTokenizerEngine(c.bundle(), c.sessions(), c.limits(), c.maxImages(), c.batching(),
                c.encoderCacheBytes());
        BoundedAdmission admission = new BoundedAdmission("image-tokenizer", c.maxConcurrent(), c.maxQueued());
        ServiceHost host = ServiceHost.start("image-tokenizer", c.server().withHandlerThreadsFor(c.maxConcurrent(), c.maxQueued()),
                List.of(new ImageTokenizerService(engine, admission, meters)), interceptors);
        Gauge.builder("glimpse.tokenizer.queue.depth", admission, BoundedAdmission::queued).register(meters);
        Gauge.builder("glimpse.tokenizer.in.flight", admission, BoundedAdmission::inFlight).register(meters);
        Gauge.builder("glimpse.tokenizer.encoder.runs", engine, ImageTokenizerEngine::encoderRuns).register(meters);
        if (engine.cache() != null) {
            io.micrometer.core.instrument.FunctionCounter.builder("glimpse.tokenizer.encoder.cache", engine.cache(), EncoderCache::hits)
                    .tag("result", "hit").description("images whose encoder result came from the cache").register(meters);
            io.micrometer.core.instrument.FunctionCounter.builder("glimpse.tokenizer.encoder.cache", engine.cache(), EncoderCache::misses)
                    .tag("result", "miss").description("images encoded (not in the cache, or lacking a part)").register(meters);
            Gauge.builder("glimpse.tokenizer.encoder.cache.bytes", engine.cache(), EncoderCache::bytes).register(meters);
        }
        host.onClose(engine);
        long worst = c.worstCaseRequestBytes(engine.worstCaseInputBytes());
        long heap = Runtime.getRuntime().maxMemory();
        if (worst > heap * 3 / 4) {
            LOG.warn("image-tokenizer: requests may need up to {} MiB at these limits, more than 3/4 of the {} MiB heap;"
                    + " lower --tokenizer-max-queued, --max-message-bytes or --max-pixels", worst >> 20, heap >> 20);
        } else {
            LOG.info("image-tokenizer: requests need at most {} MiB at these limits (heap {} MiB)", worst >> 20, heap >> 20);
        }
        engine.warmUp();
        host.markReady();
        return host;
    }
}
