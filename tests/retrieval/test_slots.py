"""What a question asks for (a number, a time, a name, a reason), whether a sentence states
it, and the label that says so when the quotes are on the topic but do not."""

from __future__ import annotations

from dataclasses import replace

import pytest

from retrieval.answers.answer import decide
from retrieval.answers.slots import Asked, Slot, asked, fills, says_not_given
from tests.retrieval.test_credibility import strong_evidence, support


@pytest.mark.parametrize(
    ("question", "slot", "noun"),
    [
        ("How many parameters does Orion have?", Slot.NUMBER, "a parameter count"),
        ("a 100T param gpt would cost how much to serve", Slot.NUMBER, "a price or cost"),
        ("openai valuation now?", Slot.NUMBER, "a valuation"),
        ("alphazero elo?", Slot.NUMBER, "a score"),
        ("whats the gpt-5 context window", Slot.NUMBER, "a context size"),
        ("how much did oai raise in the latest round", Slot.NUMBER, "a number"),
        ("GPT-4 有多少参数？", Slot.NUMBER, "a parameter count"),
        ("Anthropic 那一轮融资到底融了多少钱？", Slot.NUMBER, "a price or cost"),
        ("when does claude 4 come out", Slot.TIME, "a date"),
        ("so when did they start training gpt5", Slot.TIME, "a date"),
        ("opus 3.5 release date??", Slot.TIME, "a date"),
        ("How long did OpenAI wait before releasing GPT-4?", Slot.TIME, "how long it took"),
        ("how many months did gpt-4 sit before launch", Slot.TIME, "how long it took"),
        ("GPT-5 训练了几个月？", Slot.TIME, "how long it took"),
        ("Mark Chen 是什么时候当上研究主管的？", Slot.TIME, "a date"),
        ("who led the round, softbank?", Slot.NAME, "a name"),
        ("which oai exec told investors they could get to gpt-8", Slot.NAME, "a name"),
        ("OpenAI 最新一轮融资由谁领投？", Slot.NAME, "a name"),
        ("why did orion flop", Slot.REASON, "a reason"),
        ("为什么 OpenAI 要提前几个月完成融资？", Slot.REASON, "a reason"),
    ],
)
def test_the_slot_a_question_asks_for(question: str, slot: Slot, noun: str) -> None:
    assert asked(question) == Asked(slot, noun)


@pytest.mark.parametrize(
    "question",
    [
        "What is test-time compute?",
        "Has OpenAI started pretraining GPT-5?",
        "How did o3 get worse when turned into a chat model?",
        "What did Microsoft find when testing GPT-5?",  # "when" inside, not asked
        "gpt2-chatbot 到底是什么模型？",
    ],
)
def test_questions_that_ask_for_no_kind_of_thing(question: str) -> None:
    assert asked(question).slot is None


@pytest.mark.parametrize(
    ("slot", "sentence", "stated"),
    [
        (Slot.NUMBER, "2017年，改进版的AlphaZero达到了5.018的ELO，完全超越人类。", True),
        (Slot.NUMBER, "ELO提升至3\\.739", True),  # markdown's escape in the source
        (Slot.NUMBER, "OpenAI已提前数月筹集了83亿美元资金", True),
        (Slot.NUMBER, "提出了五项治理条款", True),
        (Slot.NUMBER, "GPT-4o 和 Opus 3.5 都比 GPT-4 小得多", False),  # versions, no figure
        (Slot.NUMBER, "2024年下半年的大部分时间里", False),  # a date, no figure
        (Slot.TIME, "我们花了六个多月的时间，直到我们准备好", True),
        (Slot.TIME, "11 月 13 日 彭博社发表评论证实了早先的传闻", True),
        (Slot.TIME, "the model shipped last summer", True),
        (Slot.TIME, "团队摸到了预训练阶段的天花板", False),
        (Slot.TIME, "研究副总裁Jerry Tworek向研究主管Mark Chen抱怨", False),  # "Mark" is no month
        (Slot.TIME, "the tweet went out in March", True),
        (Slot.NAME, "高级研究员Alexander Wei在X上表示", True),  # no space before the name
        (Slot.NAME, "由软银领投", True),
        (Slot.REASON, "但是考虑到模型大小以及构建和运行的成本 其表现未能达到应有的水平", True),
    ],
)
def test_whether_a_sentence_states_it(slot: Slot, sentence: str, stated: bool) -> None:
    assert fills(slot, sentence) is stated


def test_a_name_the_question_itself_uses_does_not_answer_who() -> None:
    sentence = "上周，Altman在播客节目中描述GPT-5的能力"
    assert not fills(Slot.NAME, sentence, "Who hosted the podcast where Altman said it?")
    assert fills(Slot.NAME, sentence, "Who was on the podcast?")


def test_on_topic_quotes_that_do_not_give_what_was_asked_are_low() -> None:
    evidence = strong_evidence(support("The Information", "report", "cnBeta"))
    assert decide(evidence)[0] == "high"
    label, reason = decide(replace(evidence, unfilled="a parameter count"))
    assert label == "low"
    assert reason == "the sources discuss “Orion”, but no quote gives a parameter count"
    # A question with no name the corpus knows still reads as a sentence, not "discuss this".
    _, reason = decide(replace(evidence, entities=(), unfilled="a number"))
    assert reason == "the quotes are on the question's topic, but none gives a number"


def test_a_question_off_the_corpus_topics_is_none() -> None:
    evidence = strong_evidence(support("The Information", "report", "cnBeta"))
    label, reason = decide(replace(evidence, off_topic=True, top_similarity=0.04))
    assert (label, reason) == ("none", "nothing in the sources is about this")


@pytest.mark.parametrize(
    ("question", "sentence", "stated"),
    [
        # A parameter count is a number said of parameters, not any figure nearby.
        ("how many params does gpt2-chatbot have", "它在 LMSYS 上拿下了 1300 分", False),
        ("how many params does gpt4 have", "GPT-4 拥有 1.8 万亿个参数", True),
        ("gpt2-chatbot arena score?", "它在 2024 年出现在榜单上，吸引了 30 万人", False),
        ("gpt2-chatbot arena score?", "它在榜单上拿下了 1300 分", True),
        # How long asks for a duration, not a date.
        ("how long did the training run take", "11 月 13 日 彭博社发表评论", False),
        ("how long did the training run take", "我们花了六个多月的时间", True),
        ("how long did the training run take", "it took about six months", True),
    ],
)
def test_what_the_slot_is_about(question: str, sentence: str, stated: bool) -> None:
    wanted = asked(question)
    assert wanted.slot is not None
    assert fills(wanted.slot, sentence, question, wanted.about) is stated


def test_the_question_s_own_figures_do_not_answer_how_much() -> None:
    sentence = "但软银仍是整个400亿融资计划的牵头者。"
    assert not fills(Slot.NUMBER, sentence, "how much is softbank putting into the 40b plan")
    assert not fills(Slot.NUMBER, sentence, "软银在 400 亿计划里出了多少？")
    assert fills(Slot.NUMBER, sentence, "how big is the plan softbank leads")


def test_a_name_the_question_uses_in_another_language_does_not_answer_who() -> None:
    sentence = "微软员工透露了玄机"
    question = "Which Microsoft employee tested GPT-5?"
    assert fills(Slot.NAME, sentence, question)  # 微软 is not "Microsoft" as written
    assert not fills(Slot.NAME, sentence, question, named=lambda name: name == "微软")


@pytest.mark.parametrize(
    ("slot", "sentence", "says"),
    [
        (Slot.TIME, "这可能也是 Dario 没有给出确切发布日期的理论依据", True),
        (Slot.TIME, "Dario 表示计划仍在继续，虽然没有确切的日期", True),
        (Slot.TIME, "11 月 13 日 彭博社发表评论证实了早先的传闻", False),
        (Slot.NAME, "一位了解内情的微软员工透露了玄机", True),
        (Slot.NAME, "据知情人士透露，OpenAI 正在测试新模型", True),
        (Slot.NAME, "高级研究员Alexander Wei在X上表示", False),
        (Slot.NUMBER, "双方均未透露交易金额", True),
        (Slot.NUMBER, "OpenAI已提前数月筹集了83亿美元资金", False),
    ],
)
def test_a_sentence_that_says_it_is_not_known(slot: Slot, sentence: str, says: bool) -> None:
    assert says_not_given(slot, sentence) is says
