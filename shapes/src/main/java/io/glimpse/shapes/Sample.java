package io.glimpse.shapes;

/** One question about one scene, with its exact-match answer. */
public record Sample(Scene scene, QuestionFamily family, String question, String answer) {
}
