package io.glimpse.shapes;

import java.util.List;

/** One Shapes-Video question about a clip of frames, with its exact-match answer. */
public record Clip(List<Scene> frames, List<Track> tracks, VideoFamily family, String question, String answer) {
}
