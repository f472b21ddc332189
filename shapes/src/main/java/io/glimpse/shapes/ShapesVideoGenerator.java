package io.glimpse.shapes;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded Shapes-Video clip generator (docs/design/model.md): clips of 96 x 96 frames in which objects
 * appear, disappear and move. Like {@link ShapesVqaGenerator}, each clip is built for its question: the
 * family is drawn uniformly, the answer uniformly among what the family can answer, then a clip with
 * that answer is constructed. The same seed gives the same clips on every machine.
 */
public final class ShapesVideoGenerator {
    public static final int MIN_FRAMES = 4;
    public static final int MAX_FRAMES = 8;
    public static final int MAX_TRACKS = 4;
    public static final int MIN_STEP = 4;
    public static final int MAX_STEP = 8;
    /** 1-based frame numbers and counts as the questions and the prompt's frame markers spell them. */
    public static final String[] FRAME_WORDS = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight"};

    private static final int CANVAS = ShapesVqaGenerator.CANVAS;
    private static final String[] DIRECTIONS = {"left", "right", "up", "down"};
    private static final Shape[] SHAPES = Shape.values();
    private static final ShapeColor[] COLORS = ShapeColor.values();

    private final SplittableRandom random;
    private final int minFrames;
    private final int maxFrames;

    public ShapesVideoGenerator(long seed, int minFrames, int maxFrames) {
        if (minFrames < 2 || maxFrames > MAX_FRAMES || minFrames > maxFrames) {
            throw new IllegalArgumentException("frames must lie in 2.." + MAX_FRAMES + " with min <= max, got "
                    + minFrames + ".." + maxFrames);
        }
        this.random = new SplittableRandom(seed);
        this.minFrames = minFrames;
        this.maxFrames = maxFrames;
    }

    /** The next clip of a uniformly drawn family. */
    public Clip next() {
        return next(VideoFamily.values()[random.nextInt(VideoFamily.values().length)]);
    }

    public Clip next(VideoFamily family) {
        while (true) {
            Clip c = build(family);
            if (c != null) {
                return c;
            }
        }
    }

    /** What the target object must do for the family's drawn answer. */
    private record Plan(int first, int last, String direction) {
    }

    private Clip build(VideoFamily family) {
        int frames = minFrames + random.nextInt(maxFrames - minFrames + 1);
        Plan target = switch (family) {
            case FIRST -> {
                int first = random.nextInt(frames);
                yield new Plan(first, first + random.nextInt(frames - first), null);
            }
            case FRAMES -> {
                int count = 1 + random.nextInt(frames);
                int first = random.nextInt(frames - count + 1);
                yield new Plan(first, first + count - 1, null);
            }
            case MOVE -> {
                int count = 2 + random.nextInt(frames - 1);
                int first = random.nextInt(frames - count + 1);
                yield new Plan(first, first + count - 1, DIRECTIONS[random.nextInt(DIRECTIONS.length)]);
            }
            case LAST -> new Plan(frames - 1, frames - 1, null);
        };
        int total = 1 + random.nextInt(MAX_TRACKS);
        List<Shape> shapes = new ArrayList<>();
        List<ShapeColor> colors = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            Shape s;
            ShapeColor c;
            do {
                s = SHAPES[random.nextInt(SHAPES.length)];
                c = COLORS[random.nextInt(COLORS.length)];
            } while (taken(shapes, colors, s, c));
            shapes.add(s);
            colors.add(c);
        }
        List<Track> tracks = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            Plan plan = i == 0 ? target : otherPlan(frames, family);
            Track t = place(shapes.get(i), colors.get(i), plan, frames, tracks);
            if (t == null) {
                return null;
            }
            tracks.add(t);
        }
        Track t = tracks.get(0);
        String name = t.color().word() + " " + t.shape().word();
        String question;
        String answer;
        switch (family) {
            case FIRST -> {
                question = "in which frame does the " + name + " first appear ?";
                answer = FRAME_WORDS[t.first() + 1];
            }
            case FRAMES -> {
                question = "in how many frames is the " + name + " visible ?";
                answer = FRAME_WORDS[t.visibleFrames()];
            }
            case MOVE -> {
                question = "which way does the " + name + " move ?";
                answer = t.direction();
            }
            default -> {
                question = "what color is the object that is only in the last frame ?";
                answer = t.color().word();
            }
        }
        // the draw order put the target first; the clip's object order is shuffled so position says nothing
        List<Track> order = new ArrayList<>(tracks);
        for (int i = order.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Track x = order.get(i);
            order.set(i, order.get(j));
            order.set(j, x);
        }
        return new Clip(render(order, frames), List.copyOf(order), family, question, answer);
    }

    private static boolean taken(List<Shape> shapes, List<ShapeColor> colors, Shape s, ShapeColor c) {
        for (int i = 0; i < shapes.size(); i++) {
            if (shapes.get(i) == s && colors.get(i) == c) {
                return true;
            }
        }
        return false;
    }

    /** A distractor: any interval and motion, except that only the target may be only in the last frame. */
    private Plan otherPlan(int frames, VideoFamily family) {
        while (true) {
            int first = random.nextInt(frames);
            int last = first + random.nextInt(frames - first);
            if (family == VideoFamily.LAST && first == frames - 1) {
                continue;
            }
            String direction = random.nextInt(3) == 0 ? null : DIRECTIONS[random.nextInt(DIRECTIONS.length)];
            return new Plan(first, last, direction);
        }
    }

    private Track place(Shape shape, ShapeColor color, Plan plan, int frames, List<Track> placed) {
        boolean large = random.nextBoolean();
        int side = (large ? ShapesVqaGenerator.LARGE : ShapesVqaGenerator.SMALL)
                + random.nextInt(2 * ShapesVqaGenerator.SIZE_JITTER + 1) - ShapesVqaGenerator.SIZE_JITTER;
        int steps = plan.last() - plan.first();
        int step = plan.direction() == null ? 0 : MIN_STEP + random.nextInt(MAX_STEP - MIN_STEP + 1);
        int dx = switch (plan.direction() == null ? "" : plan.direction()) {
            case "left" -> -step;
            case "right" -> step;
            default -> 0;
        };
        int dy = switch (plan.direction() == null ? "" : plan.direction()) {
            case "up" -> -step;
            case "down" -> step;
            default -> 0;
        };
        int xLo = Math.max(0, -dx * steps);
        int xHi = Math.min(CANVAS - side, CANVAS - side - dx * steps);
        int yLo = Math.max(0, -dy * steps);
        int yHi = Math.min(CANVAS - side, CANVAS - side - dy * steps);
        if (xLo > xHi || yLo > yHi) {
            return null;
        }
        for (int tries = 0; tries < 200; tries++) {
            Track t = new Track(shape, color, large, side, xLo + random.nextInt(xHi - xLo + 1),
                    yLo + random.nextInt(yHi - yLo + 1), dx, dy, plan.first(), plan.last());
            if (separated(t, placed, frames)) {
                return t;
            }
        }
        return null;
    }

    private static boolean separated(Track t, List<Track> placed, int frames) {
        for (Track p : placed) {
            for (int f = 0; f < frames; f++) {
                if (t.visibleIn(f) && p.visibleIn(f)
                        && !t.at(f).separatedFrom(p.at(f), ShapesVqaGenerator.MIN_GAP)) {
                    return false;
                }
            }
        }
        return true;
    }

    private List<Scene> render(List<Track> tracks, int frames) {
        int[] bg = ShapesVqaGenerator.BACKGROUNDS[random.nextInt(ShapesVqaGenerator.BACKGROUNDS.length)];
        boolean noisy = random.nextDouble() < ShapesVqaGenerator.NOISE_PROBABILITY;
        List<Scene> out = new ArrayList<>();
        for (int f = 0; f < frames; f++) {
            List<SceneObject> objects = new ArrayList<>();
            for (Track t : tracks) {
                if (t.visibleIn(f)) {
                    objects.add(t.at(f));
                }
            }
            out.add(SceneRenderer.render(CANVAS, bg, noisy, objects, random));
        }
        return List.copyOf(out);
    }
}
