package io.glimpse.model.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.glimpse.common.error.GlimpseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Creates ONNX Runtime sessions on the configured device. {@code auto} tries the CUDA provider and
 * falls back to CPU; the outcome is logged once per factory.
 */
public final class OrtSessionFactory {
    private static final Logger LOG = LoggerFactory.getLogger(OrtSessionFactory.class);

    private final Device device;
    private final int intraOpThreads;
    private final boolean allowSpinning;
    private final AtomicBoolean logged = new AtomicBoolean();
    private volatile Device resolved;

    /**
     * @param allowSpinning let ONNX Runtime's worker threads spin after a run: lower latency on
     *                      dedicated cores, but stolen CPU when several services share them
     */
    public OrtSessionFactory(Device device, int intraOpThreads, boolean allowSpinning) {
        this.device = device;
        // 0 = the CPUs this container may use: ONNX Runtime would size its pool from the host's
        // cores, which cgroup limits hide from it (the JVM's count follows the container's limit)
        this.intraOpThreads = intraOpThreads > 0 ? intraOpThreads : Runtime.getRuntime().availableProcessors();
        this.allowSpinning = allowSpinning;
    }

    public static OrtSessionFactory cpu() {
        return new OrtSessionFactory(new Device(Device.Kind.CPU, 0), 0, false);
    }

    public OrtEnvironment environment() {
        return OrtEnvironment.getEnvironment();
    }

    /** The device sessions actually run on (known after the first session). */
    public Device resolvedDevice() {
        return resolved == null ? device : resolved;
    }

    public OrtSession open(Path model) {
        try {
            OrtSession.SessionOptions options = baseOptions();
            Device used = new Device(Device.Kind.CPU, 0);
            if (device.kind() != Device.Kind.CPU) {
                try {
                    options.addCUDA(device.index());
                    used = new Device(Device.Kind.CUDA, device.index());
                } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
                    if (device.kind() == Device.Kind.CUDA) {
                        throw GlimpseException.precondition("device " + device + " requested but the CUDA provider did not"
                                + " initialise (" + e.getMessage() + "); build with -Pgpu and install CUDA 12 + cuDNN 9,"
                                + " or use --device cpu");
                    }
                    options.close();
                    options = baseOptions();
                }
            }
            resolved = used;
            if (logged.compareAndSet(false, true)) {
                LOG.info("ONNX Runtime device: requested {}, using {}", device, used);
            }
            return environment().createSession(model.toString(), options);
        } catch (OrtException e) {
            throw GlimpseException.precondition("cannot load ONNX model " + model + ": " + e.getMessage());
        }
    }

    private OrtSession.SessionOptions baseOptions() throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (intraOpThreads > 0) {
            options.setIntraOpNumThreads(intraOpThreads);
        }
        options.addConfigEntry("session.intra_op.allow_spinning", allowSpinning ? "1" : "0");
        return options;
    }
}
