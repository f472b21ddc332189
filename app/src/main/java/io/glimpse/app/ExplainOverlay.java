package io.glimpse.app;

import io.glimpse.proto.v1.ImageSelection;
import io.glimpse.proto.v1.TokenKind;

import javax.imageio.ImageIO;
import java.awt.AlphaComposite;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * The picture {@code glimpse ask --explain} writes: the image, each token's importance as a red heat
 * map over its cell, and the tokens the language model saw outlined in green. Register tokens have
 * no place on the image, so their sets get the image alone; a tiled image's cells are its tiles'
 * (the global image's tokens, which cover the same pixels, are not drawn).
 */
final class ExplainOverlay {
    static final Color KEPT = new Color(0, 200, 80);

    private ExplainOverlay() {
    }

    /** @param side the output's width and height in pixels */
    static BufferedImage render(byte[] image, ImageSelection sel, int side) throws IOException {
        BufferedImage src = ImageIO.read(new ByteArrayInputStream(image));
        BufferedImage out = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.GRAY);
            g.fillRect(0, 0, side, side);
            if (src != null) {
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                g.drawImage(src, 0, 0, side, side, null);
            }
            int[] grid = grid(sel);
            if (grid == null) {
                return out;
            }
            double cw = (double) side / grid[1];
            double ch = (double) side / grid[0];
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            for (float s : sel.getScoresList()) {
                lo = Math.min(lo, s);
                hi = Math.max(hi, s);
            }
            for (int i = 0; i < sel.getScoresCount(); i++) {
                float norm = hi > lo ? (sel.getScores(i) - lo) / (hi - lo) : 0.5f;
                int[] cell = cell(sel, sel.getScoredOrigin(i));
                if (cell == null) {
                    continue;
                }
                g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, 0.6f * norm));
                g.setColor(Color.RED);
                g.fillRect((int) Math.round(cell[1] * cw), (int) Math.round(cell[0] * ch),
                        (int) Math.ceil(cw), (int) Math.ceil(ch));
            }
            g.setComposite(AlphaComposite.SrcOver);
            g.setColor(KEPT);
            g.setStroke(new BasicStroke(Math.max(1f, (float) cw / 10f)));
            for (int o : sel.getKeptOriginList()) {
                int[] cell = cell(sel, o);
                if (cell != null) {
                    g.drawRect((int) Math.round(cell[1] * cw) + 1, (int) Math.round(cell[0] * ch) + 1,
                            (int) Math.round(cw) - 2, (int) Math.round(ch) - 2);
                }
            }
            return out;
        } finally {
            g.dispose();
        }
    }

    /** Cells per side of one tile (tiled images) or of the image. */
    private static int tileSide(ImageSelection sel) {
        return sel.getKind() == TokenKind.POOLED && sel.getPooledSide() > 0 ? sel.getPooledSide() : sel.getGridH();
    }

    /**
     * {row, col} of an origin's cell on the image; null for a token with no place on it: a tiled
     * image's global-image tokens, which the tiles' cells already cover.
     */
    static int[] cell(ImageSelection sel, int origin) {
        int[] grid = grid(sel);
        if (sel.getTileTokens() == 0) {
            return new int[]{origin / grid[1], origin % grid[1]};
        }
        int n = tileSide(sel);
        int tile = origin / sel.getTileTokens();
        int local = origin % sel.getTileTokens();
        if (sel.getTileRows() == 0) {   // an image sent whole: its one tile is the image
            return new int[]{local / n, local % n};
        }
        if (tile >= sel.getTileRows() * sel.getTileCols()) {
            return null;
        }
        return new int[]{tile / sel.getTileCols() * n + local / n, tile % sel.getTileCols() * n + local % n};
    }

    /** {rows, cols} of cells the origins are placed on, or null when they have no place on the image (registers). */
    static int[] grid(ImageSelection sel) {
        if (sel.getKind() == TokenKind.REGISTER) {
            return null;
        }
        if (sel.getTileTokens() > 0) {
            int n = tileSide(sel);
            return sel.getTileRows() == 0 ? new int[]{n, n} : new int[]{sel.getTileRows() * n, sel.getTileCols() * n};
        }
        if (sel.getKind() == TokenKind.POOLED && sel.getPooledSide() > 0) {
            return new int[]{sel.getPooledSide(), sel.getPooledSide()};
        }
        return sel.getGridH() > 0 && sel.getGridW() > 0 ? new int[]{sel.getGridH(), sel.getGridW()} : null;
    }
}
