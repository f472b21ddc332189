package io.glimpse.tokenizer;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.shapes.ScenePng;
import io.glimpse.shapes.ShapesVqaGenerator;
import io.glimpse.tokenizer.image.ImageDecoder;
import io.glimpse.tokenizer.image.ImageFormat;
import io.glimpse.tokenizer.image.ImageHeader;
import io.glimpse.tokenizer.image.ImageLimits;
import io.glimpse.tokenizer.image.DecodedImage;
import org.junit.jupiter.api.Test;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.imgcodecs.Imgcodecs;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageDecoderTest {
    static final ImageDecoder DECODER = new ImageDecoder(ImageLimits.defaults());

    static byte[] encode(String ext, int w, int h) {
        ImageDecoder.openCvVersion();
        Mat m = new Mat(h, w, CvType.CV_8UC3);
        byte[] px = new byte[w * h * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 7);
        }
        m.put(0, 0, px);
        MatOfByte out = new MatOfByte();
        Imgcodecs.imencode(ext, m, out);
        return out.toArray();
    }

    @Test
    void headersGiveDimensionsForEveryFormat() {
        for (var c : new Object[][]{{".png", ImageFormat.PNG}, {".jpg", ImageFormat.JPEG}, {".bmp", ImageFormat.BMP},
                {".webp", ImageFormat.WEBP}}) {
            byte[] b = encode((String) c[0], 37, 23);
            ImageHeader h = ImageHeader.read(b);
            assertEquals(c[1], h.format());
            assertEquals(37, h.width(), c[0].toString());
            assertEquals(23, h.height(), c[0].toString());
            try (DecodedImage img = DECODER.decode(b, "img")) {
                assertEquals(37, img.width());
                assertEquals(23, img.height());
            }
        }
    }

    @Test
    void pngDecodesToTheExactGeneratedRgbPixels() {
        var scene = new ShapesVqaGenerator(1).next().scene();
        try (DecodedImage img = DECODER.decode(ScenePng.encode(scene), "img")) {
            assertArrayEquals(scene.rgb(), img.rgbBytes());
        }
    }

    /** A phone photo stored landscape with EXIF orientation 6 (turn 90° clockwise) decodes upright. */
    @Test
    void exifRotatedJpegDecodesUpright() {
        byte[] jpeg = withExifOrientation(encode(".jpg", 128, 96), 6);
        assertEquals(128, ImageHeader.read(jpeg).width());
        try (DecodedImage img = DECODER.decode(jpeg, "images[0]")) {
            assertEquals(96, img.width());
            assertEquals(128, img.height());
            assertEquals(96, img.rgb().cols());
        }
    }

    /** A JPEG far larger than the model's input is decoded at a fraction of its size, never at full size. */
    @Test
    void largeJpegIsDecodedReduced() {
        byte[] jpeg = encode(".jpg", 1600, 1200);
        ImageHeader h = ImageHeader.read(jpeg);
        assertEquals(8, ImageDecoder.reduction(h, 96, 96));
        assertEquals(4, ImageDecoder.reduction(h, 300, 200));
        assertEquals(1, ImageDecoder.reduction(ImageHeader.read(encode(".png", 1600, 1200)), 96, 96), "PNG has no DCT scaling");
        assertEquals(200L * 150, ImageDecoder.decodedPixels(h, 8));
        try (DecodedImage img = DECODER.decode(jpeg, "images[0]", 96, 96)) {
            assertEquals(1600, img.width(), "the reported size is the image's own");
            assertEquals(1200, img.height());
            assertEquals(200, img.rgb().cols(), "decoded at 1/8 scale");
            assertEquals(150, img.rgb().rows());
        }
    }

    /** Inserts an APP1 Exif segment holding one Orientation tag right after the JPEG's SOI marker. */
    static byte[] withExifOrientation(byte[] jpeg, int orientation) {
        ByteBuffer tiff = ByteBuffer.allocate(26);
        tiff.put("MM".getBytes()).putShort((short) 42).putInt(8)        // big-endian TIFF header, IFD at 8
                .putShort((short) 1)                                    // one entry
                .putShort((short) 0x0112).putShort((short) 3).putInt(1) // Orientation, SHORT, count 1
                .putShort((short) orientation).putShort((short) 0)
                .putInt(0);                                             // no next IFD
        byte[] exif = ByteBuffer.allocate(6 + 26).put("Exif\0\0".getBytes()).put(tiff.array()).array();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xFF);
        out.write(0xD8);
        out.write(0xFF);
        out.write(0xE1);
        int len = exif.length + 2;
        out.write(len >> 8);
        out.write(len & 0xFF);
        out.writeBytes(exif);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /** A 20000 x 20000 PNG header: refused from the header alone, the pixels are never allocated. */
    @Test
    void decompressionBombIsRefusedFromTheHeader() {
        byte[] bomb = pngHeaderClaiming(20000, 20000);
        GlimpseException e = assertThrows(GlimpseException.class, () -> DECODER.decode(bomb, "images[0]"));
        assertEquals(GlimpseException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("20000x20000") && e.getMessage().contains("exceeds the limit"), e.getMessage());
    }

    @Test
    void badBytesAreRefusedWithReasons() {
        assertMessage(new byte[0], "empty");
        assertMessage("hello, not an image".getBytes(), "not a JPEG, PNG, BMP or WebP");
        byte[] jpeg = encode(".jpg", 64, 64);
        assertMessage(Arrays.copyOf(jpeg, jpeg.length / 2), "truncated");
        byte[] png = ScenePng.encode(new ShapesVqaGenerator(2).next().scene());
        assertMessage(Arrays.copyOf(png, png.length - 20), "truncated");
        assertMessage(encode(".png", 4, 4), "smaller than the minimum side");
    }

    private static void assertMessage(byte[] bytes, String part) {
        GlimpseException e = assertThrows(GlimpseException.class, () -> DECODER.decode(bytes, "images[0]"));
        assertEquals(GlimpseException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains(part) && e.getMessage().startsWith("images[0]"), e.getMessage());
    }

    static byte[] pngHeaderClaiming(int w, int h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        out.writeBytes(ByteBuffer.allocate(25).putInt(13).put("IHDR".getBytes()).putInt(w).putInt(h)
                .put(new byte[]{8, 2, 0, 0, 0}).putInt(0).array());
        out.writeBytes(ByteBuffer.allocate(12).putInt(0).put("IEND".getBytes()).putInt(0).array());
        return out.toByteArray();
    }
}
