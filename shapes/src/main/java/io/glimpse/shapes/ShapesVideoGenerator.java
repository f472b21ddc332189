package io.glimpse.shapes;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded Shapes-Video clip generator (docs/design/model.md): clips in which objects appear, disappear
 * and move. Like {@link ShapesVqaGenerator}, each clip is built for its question: the family is drawn
 * uniformly, the answer uniformly among what the family can answer, then a clip with that answer is
 * constructed. The same seed gives the same clips on every machine. Classic clips (96 x 96, 2-8 frames,
 * up to 4 objects) are v1-v3's; detail clips take the detail distribution's canvas, object sizes and
 * backgrounds, up to 16 frames and 8 objects, and add the BRIEF family.
 */
public final class ShapesVideoGenerator {
    public static final int MIN_FRAMES = 4;
    public static final int MAX_FRAMES = 8;
    /** Detail clips: frames and objects at most. */
    public static final int MAX_FRAMES_DETAIL = 16;
    public static final int MAX_TRACKS_DETAIL = 8;
    public static final int MAX_TRACKS = 4;
    public static final int MIN_STEP = 4;
    public static final int MAX_STEP = 8;
    /** 1-based frame numbers and counts as the questions and the prompt's frame markers spell them. */
    public static final String[] FRAME_WORDS = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
            "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen"};

    private static final String[] DIRECTIONS = {"left", "right", "up", "down"};
    private static final Shape[] SHAPES = Shape.values();
    private static final ShapeColor[] COLORS = ShapeColor.values();

    private final SplittableRandom random;
    private final int minFrames;
    private final int maxFrames;
    private final SceneSpec spec;
    private final VideoFamily[] families;
    private final int canvas;
    private final int maxTracks;
    private final int stepScale;   // motion per frame grows with the canvas

    public ShapesVideoGenerator(long seed, int minFrames, int maxFrames) {
        this(seed, minFrames, maxFrames, SceneSpec.CLASSIC);
    }

    public ShapesVideoGenerator(long seed, int minFrames, int maxFrames, SceneSpec spec) {
        boolean detail = spec != SceneSpec.CLASSIC;
        int most = detail ? MAX_FRAMES_DETAIL : MAX_FRAMES;
        if (minFrames < 2 || maxFrames > most || minFrames > maxFrames) {
            throw new IllegalArgumentException("frames must lie in 2.." + most + " with min <= max, got "
                    + minFrames + ".." + maxFrames);
        }
        this.random = new SplittableRandom(seed);
        this.minFrames = minFrames;
        this.maxFrames = maxFrames;
        this.spec = spec;
        this.families = detail ? VideoFamily.values() : VideoFamily.CLASSIC;
        this.canvas = spec.canvas();
        this.maxTracks = detail ? MAX_TRACKS_DETAIL : MAX_TRACKS;
        this.stepScale = Math.max(1, spec.canvas() / ShapesVqaGenerator.CANVAS);
    }

    public SceneSpec spec() {
        return spec;
    }

    /** The next clip of a uniformly drawn family. */
    public Clip next() {
        return next(families[random.nextInt(families.length)]);
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
            case BRIEF -> {
                int count = 1 + random.nextInt(2);
                int first = random.nextInt(frames - count + 1);
                yield new Plan(first, first + count - 1, null);
            }
        };
        int total = (family == VideoFamily.BRIEF ? 2 : 1) + random.nextInt(maxTracks - (family == VideoFamily.BRIEF ? 1 : 0));
        List<Shape> shapes = new ArrayList<>();
        List<ShapeColor> colors = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            Shape s;
            ShapeColor c;
            do {
                s = SHAPES[random.nextInt(SHAPES.length)];
                c = COLORS[random.nextInt(COLORS.length)];
                // BRIEF: the target is the only object of its shape, so "the {shape}" names it
            } while (taken(shapes, colors, s, c) || family == VideoFamily.BRIEF && i > 0 && s == shapes.get(0));
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
            case BRIEF -> {
                question = "what color is the " + t.shape().word() + " ?";
                answer = t.color().word();
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

    /**
     * A distractor: any interval and motion, except that only the target may be only in the last frame,
     * and that in a BRIEF clip the others stay for at least half the clip (the target is the brief one).
     */
    private Plan otherPlan(int frames, VideoFamily family) {
        while (true) {
            int first = random.nextInt(frames);
            int last = first + random.nextInt(frames - first);
            if (family == VideoFamily.LAST && first == frames - 1
                    || family == VideoFamily.BRIEF && 2 * (last - first + 1) < frames) {
                continue;
            }
            String direction = random.nextInt(3) == 0 ? null : DIRECTIONS[random.nextInt(DIRECTIONS.length)];
            return new Plan(first, last, direction);
        }
    }

    private Track place(Shape shape, ShapeColor color, Plan plan, int frames, List<Track> placed) {
        int side = spec.side(null, maxTracks, random);
        boolean large = spec.large(side);
        int steps = plan.last() - plan.first();
        int step = plan.direction() == null ? 0 : stepScale * (MIN_STEP + random.nextInt(MAX_STEP - MIN_STEP + 1));
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
        int xHi = Math.min(canvas - side, canvas - side - dx * steps);
        int yLo = Math.max(0, -dy * steps);
        int yHi = Math.min(canvas - side, canvas - side - dy * steps);
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

    private boolean separated(Track t, List<Track> placed, int frames) {
        for (Track p : placed) {
            for (int f = 0; f < frames; f++) {
                if (t.visibleIn(f) && p.visibleIn(f)
                        && !t.at(f).separatedFrom(p.at(f), spec.minGap())) {
                    return false;
                }
            }
        }
        return true;
    }

    private List<Scene> render(List<Track> tracks, int frames) {
        int[] bg = ShapesVqaGenerator.BACKGROUNDS[random.nextInt(ShapesVqaGenerator.BACKGROUNDS.length)];
        boolean noisy = random.nextDouble() < spec.noise();
        // one clutter for the whole clip: the background stands still while the objects move
        List<SceneRenderer.ClutterMark> clutter = spec.clutter() > 0 && random.nextDouble() < spec.clutter()
                ? SceneRenderer.clutter(canvas, bg, SceneSpec.CLUTTER_MIN
                + random.nextInt(SceneSpec.CLUTTER_MAX - SceneSpec.CLUTTER_MIN + 1), random) : List.of();
        List<Scene> out = new ArrayList<>();
        for (int f = 0; f < frames; f++) {
            List<SceneObject> objects = new ArrayList<>();
            for (Track t : tracks) {
                if (t.visibleIn(f)) {
                    objects.add(t.at(f));
                }
            }
            out.add(SceneRenderer.render(canvas, bg, noisy, clutter, objects, random));
        }
        return List.copyOf(out);
    }
}
