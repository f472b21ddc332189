package io.glimpse.tokenizer.image;

import org.opencv.core.Mat;

/**
 * A decoded image as native RGB pixels, held only while it is preprocessed: closing it frees the
 * pixels at once instead of leaving them to the garbage collector, so a request holds at most one
 * full-size image at a time.
 *
 * @param width  the image's width as its owner sees it (after EXIF orientation, before any
 *               decode-time reduction)
 * @param height likewise
 * @param rgb    8-bit RGB pixels, possibly reduced at decode time (JPEG)
 */
public record DecodedImage(int width, int height, Mat rgb) implements AutoCloseable {
    /** The pixels as row-major RGB bytes (a copy; tests and calibration). */
    public byte[] rgbBytes() {
        byte[] out = new byte[rgb.cols() * rgb.rows() * 3];
        rgb.get(0, 0, out);
        return out;
    }

    @Override
    public void close() {
        rgb.release();
    }
}
