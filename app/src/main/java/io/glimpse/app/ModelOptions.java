package io.glimpse.app;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.Device;
import io.glimpse.model.onnx.OrtSessionFactory;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** --bundle / --device / --threads, shared by every command that loads the model. */
final class ModelOptions {
    @Option(names = "--bundle", description = "Model bundle directory (default: $GLIMPSE_BUNDLE or models/glimpse-shapes).")
    Path bundle;

    @Option(names = "--device", defaultValue = "${env:GLIMPSE_DEVICE:-auto}",
            description = "auto | cpu | cuda:N (default ${DEFAULT-VALUE}; auto = CUDA when it initialises, else CPU).")
    String device;

    @Option(names = "--threads", defaultValue = "${env:GLIMPSE_ORT_THREADS:-0}",
            description = "ONNX Runtime intra-op threads per session (0 = the CPUs the container may use, the default).")
    int threads;

    @Option(names = "--ort-spinning", defaultValue = "${env:GLIMPSE_ORT_SPINNING:-false}",
            description = "Let ONNX Runtime threads spin between runs (faster on dedicated cores; steals CPU when"
                    + " services share cores, as in one JVM). Default ${DEFAULT-VALUE}.")
    boolean spinning;

    @Option(names = "--model-dtype", defaultValue = "${env:GLIMPSE_MODEL_DTYPE:-fp32}",
            description = "Which weights of an onnx-community bundle to load, by file suffix: fp32 (none), q8 (_quantized),"
                    + " int8, uint8, q4, bnb4 (float16 variants are refused: Glimpse feeds float32). Default ${DEFAULT-VALUE}.")
    String modelDtype;

    ModelBundle openBundle() {
        return ModelBundle.open(GlimpseHome.bundle(bundle), modelDtype);
    }

    OrtSessionFactory sessions() {
        return new OrtSessionFactory(Device.parse(device), threads, spinning);
    }
}
