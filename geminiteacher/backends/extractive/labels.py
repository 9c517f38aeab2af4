"""The fixed words of offline chapters (headings, question stems, notes) in a few languages.

Only these labels follow the course language; the extracted content stays in the
language of the source. Unknown languages fall back to English.
"""

from __future__ import annotations

from geminiteacher.text.languages import language_code

ENGLISH = {
    "key_terms": "Key terms",
    "questions": "Review questions",
    "what_is": "What is {term}?",
    "what_are": "What are {term}?",
    "relate": "How are {a} and {b} related?",
    "blank": "Fill in the blank: “{sentence}”",
    "explain": "Explain in your own words: “{sentence}”",
    "chapter_note": (
        "This chapter was extracted from your documents by the offline engine; "
        "no language model wrote it."
    ),
    "similar": (
        "No section of the source carries exactly this title; "
        "below is the passage that matches it best."
    ),
    "nearest": (
        "Nothing in the source matches this title; "
        "below is the passage at the same place in the outline."
    ),
    "no_prose": "The source holds no self-contained sentences to summarise here.",
    "thin": "chapter {index} “{title}” is too thin to quiz: no statement in it to ask about",
    "heading_only": "The source has a heading here but no text under it.",
    "empty": "The source has no text to draw on for this chapter.",
    "chapters": "Chapters",
    "key_ideas": "Key ideas",
    "course_note": (
        "This course was produced by the offline extractive engine: every sentence in it is "
        "quoted from your documents, and no AI model wrote any of it."
    ),
}

_TRANSLATIONS = {
    "es": {
        "key_terms": "Términos clave",
        "questions": "Preguntas de repaso",
        "what_is": "¿Qué es {term}?",
        "what_are": "¿Qué son {term}?",
        "relate": "¿Qué relación hay entre {a} y {b}?",
        "blank": "Completa el espacio: «{sentence}»",
        "explain": "Explica con tus propias palabras: «{sentence}»",
        "chapter_note": (
            "Este capítulo fue extraído de tus documentos por el motor sin conexión; "
            "ningún modelo de lenguaje lo escribió."
        ),
        "similar": (
            "Ninguna sección de la fuente lleva exactamente este título; "
            "abajo está el pasaje que mejor le corresponde."
        ),
        "nearest": (
            "Nada en la fuente coincide con este título; "
            "abajo está el pasaje del mismo lugar del índice."
        ),
        "no_prose": "La fuente no tiene aquí frases completas que resumir; mira la explicación.",
        "thin": "el capítulo {index} «{title}» es demasiado breve para un cuestionario: no hay "
                "ninguna afirmación sobre la que preguntar",
        "heading_only": "La fuente tiene aquí un encabezado pero ningún texto debajo.",
        "empty": "La fuente no tiene texto para este capítulo.",
        "chapters": "Capítulos",
        "key_ideas": "Ideas clave",
        "course_note": (
            "Este curso lo produjo el motor extractivo sin conexión: cada frase está citada de "
            "tus documentos y ningún modelo de IA escribió nada."
        ),
    },
    "fr": {
        "key_terms": "Termes clés",
        "questions": "Questions de révision",
        "what_is": "Qu'est-ce que {term} ?",
        "what_are": "Que sont {term} ?",
        "relate": "Quel est le lien entre {a} et {b} ?",
        "blank": "Complétez : « {sentence} »",
        "explain": "Expliquez avec vos propres mots : « {sentence} »",
        "chapter_note": (
            "Ce chapitre a été extrait de vos documents par le moteur hors ligne ; "
            "aucun modèle de langage ne l'a rédigé."
        ),
        "similar": (
            "Aucune section de la source ne porte exactement ce titre ; "
            "voici le passage qui lui correspond le mieux."
        ),
        "nearest": (
            "Rien dans la source ne correspond à ce titre ; "
            "voici le passage situé au même endroit du plan."
        ),
        "no_prose": "La source n'a ici aucune phrase complète à résumer ; voir l'explication.",
        "thin": "le chapitre {index} « {title} » est trop mince pour un quiz : aucune "
                "affirmation à interroger",
        "heading_only": "La source a ici un titre mais aucun texte en dessous.",
        "empty": "La source ne contient aucun texte pour ce chapitre.",
        "chapters": "Chapitres",
        "key_ideas": "Idées clés",
        "course_note": (
            "Ce cours a été produit par le moteur extractif hors ligne : chaque phrase est citée "
            "de vos documents et aucun modèle d'IA n'en a écrit une ligne."
        ),
    },
    "de": {
        "key_terms": "Schlüsselbegriffe",
        "questions": "Wiederholungsfragen",
        "what_is": "Was ist {term}?",
        "what_are": "Was sind {term}?",
        "relate": "Wie hängen {a} und {b} zusammen?",
        "blank": "Ergänzen Sie die Lücke: „{sentence}“",
        "explain": "Erklären Sie mit eigenen Worten: „{sentence}“",
        "chapter_note": (
            "Dieses Kapitel wurde von der Offline-Engine aus Ihren Dokumenten extrahiert; "
            "kein Sprachmodell hat es geschrieben."
        ),
        "similar": (
            "Kein Abschnitt der Quelle trägt genau diesen Titel; "
            "unten steht die Passage, die am besten passt."
        ),
        "nearest": (
            "Nichts in der Quelle passt zu diesem Titel; "
            "unten steht die Passage an derselben Stelle der Gliederung."
        ),
        "no_prose": "Die Quelle hat hier keine vollständigen Sätze zum Zusammenfassen.",
        "thin": "Kapitel {index} „{title}“ ist zu knapp für ein Quiz: keine Aussage, nach der "
                "sich fragen ließe",
        "heading_only": "Die Quelle hat hier eine Überschrift, aber keinen Text darunter.",
        "empty": "Die Quelle enthält keinen Text für dieses Kapitel.",
        "chapters": "Kapitel",
        "key_ideas": "Kerngedanken",
        "course_note": (
            "Dieser Kurs wurde von der extraktiven Offline-Engine erstellt: Jeder Satz ist aus "
            "Ihren Dokumenten zitiert, kein KI-Modell hat etwas davon geschrieben."
        ),
    },
    "zh": {
        "key_terms": "关键术语",
        "questions": "复习题",
        "what_is": "什么是{term}？",
        "what_are": "什么是{term}？",
        "relate": "{a}与{b}有什么关系？",
        "blank": "填空：“{sentence}”",
        "explain": "用自己的话解释：“{sentence}”",
        "chapter_note": "本章由离线引擎从您的文档中摘录而成，并非由语言模型撰写。",
        "similar": "原文中没有与此标题完全相同的章节，以下是最匹配的段落。",
        "nearest": "原文中没有与此标题相符的内容，以下是大纲中同一位置的段落。",
        "no_prose": "原文此处没有可独立成句的内容可供摘要，请参阅讲解部分。",
        "thin": "第 {index} 章“{title}”内容太少，无法出题：其中没有可提问的陈述",
        "heading_only": "原文此处只有标题，没有正文。",
        "empty": "原文中没有可用于本章的文字。",
        "chapters": "章节",
        "key_ideas": "要点",
        "course_note": (
            "本课程由离线抽取式引擎生成：每个句子都摘自您的文档，没有任何 AI 模型参与撰写。"
        ),
    },
}

def labels_for(language: str) -> dict[str, str]:
    """The label set for a course language name ("Spanish", "Deutsch", "zh-CN", "简体中文")."""
    code = language_code(language)
    return {**ENGLISH, **_TRANSLATIONS[code]} if code in _TRANSLATIONS else ENGLISH
