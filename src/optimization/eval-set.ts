/**
 * A small question set with short, unambiguous answers: the accuracy check a quantised or
 * distilled candidate must pass beside its baseline. Scored by whether the answer contains the
 * expected text (case-insensitive), so any chat model can be checked without a judge.
 */
export const EVAL_SET: ReadonlyArray<{ prompt: string; answer: string }> = [
  { prompt: 'What is the capital of France? Answer with one word.', answer: 'Paris' },
  { prompt: 'What is 17 + 25? Answer with the number only.', answer: '42' },
  { prompt: 'Which planet is known as the Red Planet? One word.', answer: 'Mars' },
  { prompt: 'What is the chemical symbol for gold? Answer with the symbol only.', answer: 'Au' },
  { prompt: 'How many days are in a leap year? Number only.', answer: '366' },
  { prompt: 'What is the capital of Japan? One word.', answer: 'Tokyo' },
  { prompt: 'What is 9 times 8? Number only.', answer: '72' },
  { prompt: 'Who wrote "Romeo and Juliet"? Surname only.', answer: 'Shakespeare' },
  { prompt: 'What gas do plants absorb from the air for photosynthesis? Formula only.', answer: 'CO2' },
  { prompt: 'What is the largest ocean on Earth? One word.', answer: 'Pacific' },
  { prompt: 'What is the square root of 144? Number only.', answer: '12' },
  { prompt: 'In which continent is Kenya? One word.', answer: 'Africa' },
  { prompt: 'What is the freezing point of water in degrees Celsius? Number only.', answer: '0' },
  { prompt: 'How many sides does a hexagon have? Number only.', answer: '6' },
  { prompt: 'What is the capital of Canada? One word.', answer: 'Ottawa' },
  { prompt: 'What is 1000 minus 1? Number only.', answer: '999' },
  { prompt: 'Which element has the atomic number 1? One word.', answer: 'Hydrogen' },
  { prompt: 'What language has the most native speakers? One word.', answer: 'Mandarin' },
  { prompt: 'What is the binary representation of the decimal number 5? Digits only.', answer: '101' },
  { prompt: 'What is the capital of Australia? One word.', answer: 'Canberra' },
];

export function isCorrect(reply: string, answer: string): boolean {
  return reply.toLowerCase().includes(answer.toLowerCase());
}
