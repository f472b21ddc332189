package io.glimpse.shapes;

/** Question families of Shapes-Video: each needs particular frames of the clip, not any one frame. */
public enum VideoFamily {
    /** In which frame an object first appears. */
    FIRST("first"),
    /** In how many frames an object is visible. */
    FRAMES("frames"),
    /** Which way an object moves. */
    MOVE("move"),
    /** The colour of the object that is only in the last frame. */
    LAST("last"),
    /**
     * The colour of the one object of a shape, which shows only briefly (one or two frames) in a long
     * clip: QuoTA's setting, where the question says which few frames matter. Detail clips only.
     */
    BRIEF("brief");

    /** The families of classic clips (models v1-v3): BRIEF needs the detail distribution's long clips. */
    public static final VideoFamily[] CLASSIC = {FIRST, FRAMES, MOVE, LAST};

    private final String key;

    VideoFamily(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }
}
