package io.glimpse.tokenizer.image;

import io.glimpse.model.bundle.PreprocessorConfig;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;

/** Resize and normalise per {@code preprocessor_config.json}, producing CHW floats. */
public final class Preprocessor {
    private final PreprocessorConfig config;

    public Preprocessor(PreprocessorConfig config) {
        this.config = config;
    }

    public int height() {
        return config.height();
    }

    public int width() {
        return config.width();
    }

    /** Writes the image as [3, H, W] into {@code out} starting at {@code offset}. */
    public void toPixelValues(DecodedImage image, float[] out, int offset) {
        int h = config.height();
        int w = config.width();
        Mat src = image.rgb();
        byte[] rgb = new byte[w * h * 3];
        if (src.cols() != w || src.rows() != h) {
            Mat dst = new Mat();
            try {
                Imgproc.resize(src, dst, new Size(w, h), 0, 0, interpolation(src));
                dst.get(0, 0, rgb);
            } finally {
                dst.release();
            }
        } else {
            src.get(0, 0, rgb);
        }
        float scale = config.doRescale() ? (float) config.rescaleFactor() : 1f;
        int plane = h * w;
        for (int c = 0; c < 3; c++) {
            float mean = config.doNormalize() ? config.mean()[c] : 0f;
            float std = config.doNormalize() ? config.std()[c] : 1f;
            for (int p = 0; p < plane; p++) {
                out[offset + c * plane + p] = ((rgb[p * 3 + c] & 0xFF) * scale - mean) / std;
            }
        }
    }

    private int interpolation(Mat image) {
        boolean shrinking = image.cols() > config.width() || image.rows() > config.height();
        return switch (config.resample()) {
            case "nearest" -> Imgproc.INTER_NEAREST;
            case "bicubic" -> Imgproc.INTER_CUBIC;
            // area averaging avoids aliasing when shrinking, as PIL's antialiased bilinear does
            default -> shrinking ? Imgproc.INTER_AREA : Imgproc.INTER_LINEAR;
        };
    }
}
