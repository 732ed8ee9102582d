// A published questionnaire on the phone: its form (one control per question, named after the
// question's key), reading what was typed into answer values, and the same checks as the
// server's (`Definition::check_answer`): a known choice, a number in range, a boolean. A note is
// shown as text and takes no answer.

/** A label in the reader's language, falling back to the other one. */
export function label(text, lang) {
  if (!text) return '';
  const [first, second] = lang === 'en' ? [text.en, text.vi] : [text.vi, text.en];
  return first || second || '';
}

/** The answer a form control holds: undefined when left empty (nothing is written). */
export function readAnswer(question, control) {
  switch (question.kind) {
    case 'multi_choice': {
      const keys = [...control.selectedOptions].map((option) => option.value);
      return keys.length > 0 ? keys : undefined;
    }
    case 'boolean':
      return control.value === '' ? undefined : control.value === 'true';
    case 'number':
    case 'integer': {
      const text = control.value.trim().replace(',', '.');
      return text === '' ? undefined : Number(text);
    }
    default:
      return control.value === '' ? undefined : control.value;
  }
}

/** Why an answer does not fit its question, or null. */
export function checkAnswer(question, value, t) {
  const choice = (key) => question.choices?.some((c) => c.key === key);
  switch (question.kind) {
    case 'single_choice':
      return typeof value === 'string' && choice(value) ? null : t('unknown_choice');
    case 'multi_choice':
      return Array.isArray(value) && value.every(choice) ? null : t('unknown_choice');
    case 'boolean':
      return typeof value === 'boolean' ? null : t('not_boolean');
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return t('not_number');
      if (question.kind === 'integer' && !Number.isInteger(value)) return t('not_integer');
      if (question.min != null && value < question.min) return t('too_small', question.min);
      if (question.max != null && value > question.max) return t('too_large', question.max);
      return null;
    default:
      return typeof value === 'string' && value.length <= 10000 ? null : t('too_long');
  }
}

/** The form control of a question, filled with `current` (its first value, if any). */
export function control(question, current, lang, t) {
  const option = (value, text, selected) => {
    const element = document.createElement('option');
    element.value = value;
    element.textContent = text;
    element.selected = selected;
    return element;
  };
  let element;
  switch (question.kind) {
    case 'single_choice':
    case 'multi_choice':
      element = document.createElement('select');
      element.multiple = question.kind === 'multi_choice';
      if (!element.multiple) element.append(option('', '—', current === undefined));
      for (const choice of question.choices ?? []) {
        const chosen = element.multiple ? (current ?? []).includes(choice.key) : current === choice.key;
        element.append(option(choice.key, label(choice.label, lang) || choice.key, chosen));
      }
      break;
    case 'boolean':
      element = document.createElement('select');
      element.append(option('', '—', current === undefined));
      element.append(option('true', t('yes'), current === true));
      element.append(option('false', t('no'), current === false));
      break;
    case 'number':
    case 'integer':
      element = document.createElement('input');
      element.type = 'text';
      element.inputMode = question.kind === 'integer' ? 'numeric' : 'decimal';
      element.value = current === undefined ? '' : String(current);
      break;
    default:
      element = document.createElement('textarea');
      element.rows = 3;
      element.value = current ?? '';
  }
  element.name = question.key;
  element.id = `q-${question.key}`;
  return element;
}
