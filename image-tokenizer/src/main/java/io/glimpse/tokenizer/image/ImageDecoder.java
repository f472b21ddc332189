package io.glimpse.tokenizer.image;

import io.glimpse.common.error.GlimpseException;
import nu.pattern.OpenCV;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/** Decodes JPEG/PNG/BMP/WebP with OpenCV after checking the header against the limits. */
public final class ImageDecoder {
    static {
        OpenCV.loadLocally();
    }

    private final ImageLimits limits;

    public ImageDecoder(ImageLimits limits) {
        this.limits = limits;
    }

    /** Makes sure the OpenCV natives are loaded (call at start-up so the first request pays nothing). */
    public static String openCvVersion() {
        return org.opencv.core.Core.VERSION;
    }

    public RgbImage decode(byte[] bytes, String what) {
        if (bytes.length > limits.maxBytes()) {
            throw GlimpseException.invalid(what + " is " + bytes.length + " bytes; the limit is " + limits.maxBytes());
        }
        ImageHeader header;
        try {
            header = ImageHeader.read(bytes);
        } catch (GlimpseException e) {
            throw GlimpseException.invalid(what + ": " + e.getMessage());
        }
        if (header.pixels() > limits.maxPixels()) {
            throw GlimpseException.invalid(what + ": " + header.width() + "x" + header.height() + " = " + header.pixels()
                    + " pixels exceeds the limit of " + limits.maxPixels() + " pixels; downscale it first");
        }
        if (header.width() < limits.minSide() || header.height() < limits.minSide()) {
            throw GlimpseException.invalid(what + ": " + header.width() + "x" + header.height()
                    + " is smaller than the minimum side of " + limits.minSide() + " pixels");
        }
        if (header.truncated()) {
            throw GlimpseException.invalid(what + ": " + header.format() + " is truncated (its end marker is missing)");
        }
        MatOfByte buf = new MatOfByte(bytes);
        Mat bgr = Imgcodecs.imdecode(buf, Imgcodecs.IMREAD_COLOR);
        buf.release();
        try {
            if (bgr.empty()) {
                throw GlimpseException.invalid(what + ": " + header.format() + " data could not be decoded (corrupt or truncated)");
            }
            if (bgr.cols() != header.width() || bgr.rows() != header.height()) {
                throw GlimpseException.invalid(what + ": decoded size " + bgr.cols() + "x" + bgr.rows()
                        + " differs from the header's " + header.width() + "x" + header.height());
            }
            Mat rgb = new Mat();
            Imgproc.cvtColor(bgr, rgb, Imgproc.COLOR_BGR2RGB);
            byte[] out = new byte[rgb.cols() * rgb.rows() * 3];
            rgb.get(0, 0, out);
            rgb.release();
            return new RgbImage(header.width(), header.height(), out);
        } finally {
            bgr.release();
        }
    }
}
