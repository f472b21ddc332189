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
    LAST("last");

    private final String key;

    VideoFamily(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }
}
