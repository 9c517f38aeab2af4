"""The exports' own words (part headings, quiz buttons, the score line) in the course language."""

from __future__ import annotations

from geminiteacher.text.languages import language_code

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "summary": "Summary", "explanation": "Explanation", "extension": "Extension",
        "quiz": "Quiz", "answers": "Answers", "sources": "Sources", "source": "Source",
        "outline": "Outline", "chapters": "Chapters", "course_summary": "Course summary",
        "show_answer": "Show answer", "check_answers": "Check answers",
        "score": "{right} of {total} right ({score}%)",
    },
    "es": {
        "summary": "Resumen", "explanation": "Explicación", "extension": "Para saber más",
        "quiz": "Cuestionario", "answers": "Respuestas", "sources": "Fuentes",
        "source": "Fuente", "outline": "Índice", "chapters": "Capítulos",
        "course_summary": "Resumen del curso", "show_answer": "Mostrar la respuesta",
        "check_answers": "Comprobar las respuestas",
        "score": "{right} de {total} correctas ({score} %)",
    },
    "fr": {
        "summary": "Résumé", "explanation": "Explication", "extension": "Pour aller plus loin",
        "quiz": "Quiz", "answers": "Réponses", "sources": "Sources", "source": "Source",
        "outline": "Plan", "chapters": "Chapitres", "course_summary": "Résumé du cours",
        "show_answer": "Afficher la réponse", "check_answers": "Vérifier les réponses",
        "score": "{right} sur {total} justes ({score} %)",
    },
    "de": {
        "summary": "Zusammenfassung", "explanation": "Erklärung", "extension": "Vertiefung",
        "quiz": "Quiz", "answers": "Lösungen", "sources": "Quellen", "source": "Quelle",
        "outline": "Gliederung", "chapters": "Kapitel",
        "course_summary": "Zusammenfassung des Kurses", "show_answer": "Lösung zeigen",
        "check_answers": "Antworten prüfen", "score": "{right} von {total} richtig ({score} %)",
    },
    "zh": {
        "summary": "摘要", "explanation": "讲解", "extension": "拓展", "quiz": "测验",
        "answers": "答案", "sources": "来源", "source": "来源", "outline": "大纲",
        "chapters": "章节", "course_summary": "课程总结", "show_answer": "显示答案",
        "check_answers": "检查答案", "score": "答对 {right}/{total}（{score}%）",
    },
}
PARTS = ("summary", "explanation", "extension")  # a chapter's parts, in order


def words_for(language: str) -> dict[str, str]:
    """The export words for a course language name; English when it is not translated."""
    return {**WORDS["en"], **WORDS.get(language_code(language), {})}
