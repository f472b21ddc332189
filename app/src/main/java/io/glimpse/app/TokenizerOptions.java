package io.glimpse.app;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.tokenizer.TokenizerServer;
import io.glimpse.tokenizer.encode.ImageTokenizerEngine;
import io.glimpse.tokenizer.image.ImageLimits;
import picocli.CommandLine.Option;

/** The image-tokenizer's options of {@code glimpse serve}: image limits, encoder batching and cache, admission. */
final class TokenizerOptions {
    @Option(names = "--max-pixels", defaultValue = "${env:GLIMPSE_MAX_PIXELS:-" + ImageLimits.DEFAULT_MAX_PIXELS + "}",
            description = "Tokenizer: largest image (width x height) it decodes (default ${DEFAULT-VALUE}).")
    long maxPixels;

    @Option(names = "--max-request-pixels", defaultValue = "${env:GLIMPSE_MAX_REQUEST_PIXELS:-" + ImageLimits.DEFAULT_MAX_REQUEST_PIXELS + "}",
            description = "Tokenizer: pixels decoded per request, summed over its images (default ${DEFAULT-VALUE}).")
    long maxRequestPixels;

    @Option(names = "--encoder-max-batch", defaultValue = "${env:GLIMPSE_ENCODER_MAX_BATCH:-1}",
            description = "Tokenizer: images per vision-encoder run across concurrent requests (1 = no batching, the default: it does not pay on CPU, docs/tokenization.md).")
    int encoderMaxBatch;

    @Option(names = "--encoder-max-wait-micros", defaultValue = "${env:GLIMPSE_ENCODER_MAX_WAIT_MICROS:-2000}",
            description = "Tokenizer: longest a request waits for others to join its encoder batch.")
    long encoderMaxWaitMicros;

    @Option(names = "--encoder-cache-bytes", defaultValue = "${env:GLIMPSE_ENCODER_CACHE_BYTES:-" + TokenizerServer.DEFAULT_ENCODER_CACHE_BYTES + "}",
            description = "Tokenizer: recent vision-encoder results kept by image hash, so repeated images skip decoding"
                    + " and the encoder (default ${DEFAULT-VALUE}; 0 = off).")
    long encoderCacheBytes;

    @Option(names = "--tokenizer-max-concurrent", defaultValue = "${env:GLIMPSE_TOKENIZER_MAX_CONCURRENT:-" + TokenizerServer.DEFAULT_MAX_CONCURRENT + "}",
            description = "Tokenizer: requests decoded and encoded at once (default ${DEFAULT-VALUE}).")
    int tokenizerMaxConcurrent;

    @Option(names = "--tokenizer-max-queued", defaultValue = "${env:GLIMPSE_TOKENIZER_MAX_QUEUED:-" + TokenizerServer.DEFAULT_MAX_QUEUED + "}",
            description = "Tokenizer: requests waiting; beyond it RESOURCE_EXHAUSTED (default ${DEFAULT-VALUE}).")
    int tokenizerMaxQueued;


    TokenizerServer.Config config(ModelBundle bundle, OrtSessionFactory sessions, ServerOptions s) {
        return new TokenizerServer.Config(bundle, sessions, new ImageLimits(s.maxMessageBytes, maxPixels, 8, maxRequestPixels),
                s.maxImages, tokenizerMaxConcurrent, tokenizerMaxQueued,
                new ImageTokenizerEngine.Batching(encoderMaxBatch, encoderMaxWaitMicros), s.config(), encoderCacheBytes);
    }
}
