package io.glimpse.tokenizer.image;

import io.glimpse.common.error.GlimpseException;

/**
 * Format and pixel dimensions read from an encoded image's header, before anything is decoded, so
 * that decompression bombs are refused without allocating their pixels. {@code truncated} is set
 * when a PNG lacks its IEND chunk or a JPEG its end-of-image marker (decoders would otherwise
 * return a partly grey image without complaint).
 */
public record ImageHeader(ImageFormat format, int width, int height, boolean truncated) {

    public long pixels() {
        return (long) width * height;
    }

    public static ImageHeader read(byte[] b) {
        if (b.length == 0) {
            throw GlimpseException.invalid("image is empty (0 bytes)");
        }
        if (startsWith(b, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return png(b);
        }
        if (startsWith(b, 0xFF, 0xD8)) {
            return jpeg(b);
        }
        if (startsWith(b, 'B', 'M')) {
            return bmp(b);
        }
        if (startsWith(b, 'R', 'I', 'F', 'F') && b.length >= 12 && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            return webp(b);
        }
        throw GlimpseException.invalid("not a JPEG, PNG, BMP or WebP image (unrecognised first bytes)");
    }

    private static ImageHeader png(byte[] b) {
        need(b, 24, "PNG");
        if (!(b[12] == 'I' && b[13] == 'H' && b[14] == 'D' && b[15] == 'R')) {
            throw GlimpseException.invalid("PNG has no IHDR chunk first");
        }
        return checked(ImageFormat.PNG, be32(b, 16), be32(b, 20), !endsWithIend(b));
    }

    private static boolean endsWithIend(byte[] b) {
        int from = Math.max(0, b.length - 64);
        for (int i = b.length - 4; i >= from; i--) {
            if (b[i] == 'I' && b[i + 1] == 'E' && b[i + 2] == 'N' && b[i + 3] == 'D') {
                return true;
            }
        }
        return false;
    }

    private static ImageHeader jpeg(byte[] b) {
        int i = 2;
        ImageHeader found = null;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xFF) != 0xFF) {
                i++;
                continue;
            }
            int marker = b[i + 1] & 0xFF;
            if (marker == 0xFF) {
                i++;
                continue;
            }
            if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                i += 2;
                continue;
            }
            int len = ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof) {
                need(b, i + 9, "JPEG");
                int h = ((b[i + 5] & 0xFF) << 8) | (b[i + 6] & 0xFF);
                int w = ((b[i + 7] & 0xFF) << 8) | (b[i + 8] & 0xFF);
                found = checked(ImageFormat.JPEG, w, h, false);
            }
            if (marker == 0xDA) {
                break;   // entropy-coded data follows; the frame header must have come before
            }
            i += 2 + len;
        }
        if (found == null) {
            throw GlimpseException.invalid("JPEG has no frame header (SOF) before its image data: truncated or corrupt");
        }
        return new ImageHeader(found.format, found.width, found.height, !hasEoi(b));
    }

    private static boolean hasEoi(byte[] b) {
        int from = Math.max(1, b.length - 1024);
        for (int i = b.length - 1; i >= from; i--) {
            if ((b[i - 1] & 0xFF) == 0xFF && (b[i] & 0xFF) == 0xD9) {
                return true;
            }
        }
        return false;
    }

    private static ImageHeader bmp(byte[] b) {
        need(b, 26, "BMP");
        int headerSize = le32(b, 14);
        if (headerSize == 12) {
            return checked(ImageFormat.BMP, le16(b, 18), le16(b, 20), false);
        }
        return checked(ImageFormat.BMP, le32(b, 18), Math.abs(le32(b, 22)), false);
    }

    private static ImageHeader webp(byte[] b) {
        need(b, 30, "WebP");
        String chunk = new String(b, 12, 4, java.nio.charset.StandardCharsets.US_ASCII);
        return switch (chunk) {
            case "VP8 " -> checked(ImageFormat.WEBP, le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF, false);
            case "VP8L" -> {
                int bits = le32(b, 21);
                yield checked(ImageFormat.WEBP, (bits & 0x3FFF) + 1, ((bits >>> 14) & 0x3FFF) + 1, false);
            }
            case "VP8X" -> checked(ImageFormat.WEBP, le24(b, 24) + 1, le24(b, 27) + 1, false);
            default -> throw GlimpseException.invalid("WebP with unknown chunk '" + chunk + "'");
        };
    }

    private static ImageHeader checked(ImageFormat f, int w, int h, boolean truncated) {
        if (w <= 0 || h <= 0) {
            throw GlimpseException.invalid(f + " header claims a " + w + "x" + h + " image");
        }
        return new ImageHeader(f, w, h, truncated);
    }

    private static void need(byte[] b, int n, String what) {
        if (b.length < n) {
            throw GlimpseException.invalid(what + " is truncated (" + b.length + " bytes, header needs " + n + ")");
        }
    }

    private static boolean startsWith(byte[] b, int... prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((b[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int be32(byte[] b, int i) {
        return ((b[i] & 0xFF) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
    }

    private static int le32(byte[] b, int i) {
        return (b[i] & 0xFF) | ((b[i + 1] & 0xFF) << 8) | ((b[i + 2] & 0xFF) << 16) | ((b[i + 3] & 0xFF) << 24);
    }

    private static int le24(byte[] b, int i) {
        return (b[i] & 0xFF) | ((b[i + 1] & 0xFF) << 8) | ((b[i + 2] & 0xFF) << 16);
    }

    private static int le16(byte[] b, int i) {
        return (b[i] & 0xFF) | ((b[i + 1] & 0xFF) << 8);
    }
}
