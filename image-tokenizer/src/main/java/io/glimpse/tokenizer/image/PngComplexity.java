package io.glimpse.tokenizer.image;

import nu.pattern.OpenCV;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.MatOfInt;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;
import org.opencv.photo.Photo;

/**
 * A non-learned complexity score (KARL's proxy): bits per pixel of the image compressed losslessly
 * as PNG, at the size the vision encoder sees. Codecs rate pixel noise as maximally complex (a
 * plain background with +-12 noise scores 12 bpp, six shapes on a clean one 3), so the image is first
 * denoised (non-local means, strength 15): that caps what noise can add while keeping edges.
 * The same OpenCV code runs at calibration and at serving time, so scores are comparable.
 */
public final class PngComplexity {
    static {
        OpenCV.loadLocally();
    }

    private PngComplexity() {
    }

    /** @param side the encoder's input side; the image is area-resized to side x side first */
    public static double bitsPerPixel(DecodedImage img, int side) {
        Mat rgb = img.rgb();
        Mat sized = new Mat();
        Mat denoised = new Mat();
        MatOfByte png = new MatOfByte();
        try {
            if (rgb.cols() != side || rgb.rows() != side) {
                Imgproc.resize(rgb, sized, new Size(side, side), 0, 0, Imgproc.INTER_AREA);
            } else {
                rgb.copyTo(sized);
            }
            Photo.fastNlMeansDenoisingColored(sized, denoised, 15f, 15f, 5, 15);
            Imgcodecs.imencode(".png", denoised, png, new MatOfInt(Imgcodecs.IMWRITE_PNG_COMPRESSION, 9));
            return 8.0 * png.total() / ((double) side * side);
        } finally {
            sized.release();
            denoised.release();
            png.release();
        }
    }
}
