"""Bilingual word lists for the HTR sample (common words, some capitalised, a few with digits)."""

from __future__ import annotations

__all__ = ["RUSSIAN_WORDS", "ENGLISH_WORDS"]

RUSSIAN_WORDS = tuple("""
дом мама папа кот собака река лес поле город улица окно дверь стол стул книга ручка школа урок
класс учитель ученик задача ответ вопрос число слово буква тетрадь доска мел парта линейка
время утро вечер ночь день неделя месяц год зима весна лето осень снег дождь ветер солнце луна
звезда небо море гора берег остров песок камень дерево цветок трава лист ягода гриб яблоко груша
хлеб молоко вода чай суп каша сыр масло сахар соль мясо рыба птица заяц волк лиса медведь ёж
мышь конь корова коза овца утка гусь курица петух друг брат сестра сын дочь дедушка бабушка
семья работа машина поезд самолёт корабль дорога мост площадь парк сад огород поле берёза
красный синий зелёный жёлтый белый чёрный серый большой маленький новый старый хороший
весёлый быстрый тихий громкий тёплый холодный длинный короткий высокий низкий первый второй
читать писать считать думать знать видеть слышать говорить идти бежать играть петь рисовать
Москва Россия Волга Нева Сибирь Кавказ Урал Байкал Пётр Анна Иван Мария Ольга Сергей Наталья
пять-шесть 2-й 10 кто-то где-то что-нибудь ёлка щука объём подъезд съезд вьюга чащоба
""".split())

ENGLISH_WORDS = tuple("""
house mother father cat dog river forest field city street window door table chair book pen
school lesson class teacher pupil task answer question number word letter notebook board desk
time morning evening night day week month year winter spring summer autumn snow rain wind sun
moon star sky sea mountain shore island sand stone tree flower grass leaf berry apple pear bread
milk water tea soup cheese butter sugar salt fish bird hare wolf fox bear mouse horse cow goat
duck goose friend brother sister son daughter family work car train plane ship road bridge park
garden red blue green yellow white black grey big small new old good happy fast quiet loud warm
cold long short high low first second read write count think know see hear speak walk run play
sing draw London England Thames Oxford Peter Anna John Mary Olga Sam well-known 3rd 42 it's
""".split())
