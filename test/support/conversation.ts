// The bot's messages as they go over the wire, for end-to-end tests that assert exact Cloud API JSON.

/** The English welcome with the main menu (a list: five entries do not fit three reply buttons). */
export function welcomeListEn(clinic: string): Record<string, unknown> {
  return {
    type: 'list',
    body: { text: `${clinic}: hello and welcome! How can we help you today? Choose below or simply write your question.` },
    action: {
      button: 'Menu',
      sections: [{
        rows: [
          { id: 'menu:book', title: 'Book an appointment', description: 'Make, change or cancel an appointment' },
          { id: 'menu:faq', title: 'Hours & questions', description: 'Opening hours, address, insurance, payment' },
          { id: 'menu:symptoms', title: 'Symptoms', description: 'Tell us how you feel and we will guide you' },
          { id: 'handoff:human', title: 'Talk to staff', description: 'A member of our team answers you here' },
          { id: 'menu:language', title: 'Language', description: 'Change the language of this chat' },
        ],
      }],
    },
  };
}
