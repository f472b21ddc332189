package io.glimpse.shapes;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Lossless PNG bytes of a scene, so images sent through the chain carry exactly the generated pixels. */
public final class ScenePng {
    private ScenePng() {
    }

    public static byte[] encode(Scene scene) {
        int n = scene.size();
        BufferedImage img = new BufferedImage(n, n, BufferedImage.TYPE_INT_RGB);
        byte[] rgb = scene.rgb();
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int i = (y * n + x) * 3;
                img.setRGB(x, y, ((rgb[i] & 0xFF) << 16) | ((rgb[i + 1] & 0xFF) << 8) | (rgb[i + 2] & 0xFF));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
