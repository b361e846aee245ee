// What patients write that is not an FAQ question, per language: booking, changing or cancelling an
// appointment (for a consultation or a blood test), results, prescriptions, symptoms, asking for a person. The matcher indexes these as one
// rejecting entry per language: a message closer to them than to any FAQ entry matches nothing ("I need to
// book a blood test" is a booking, not the what-to-bring answer that mentions blood tests). The router
// sends such messages to their flows through the NLU; this only keeps the FAQ from answering them.
import type { Language } from '../nlu/types.js';

export const NOT_FAQ: Record<Language, readonly string[]> = {
  en: [
    'appointment for a blood test', 'schedule a blood test for me', 'see the doctor for a check up',
    'i want to book an appointment', 'can i make an appointment', 'book me in for tomorrow', 'i need an appointment with the doctor',
    'appointment next week please', 'i would like to see a dermatologist', 'are my results ready', 'can i get my test results',
    'i need a new prescription', 'renew my prescription', 'i feel sick', 'i have a fever and a cough', 'it hurts',
    'i want to talk to someone', 'can a human call me back',
  ],
  fr: [
    'rendez-vous pour une prise de sang', 'prendre rdv pour un bilan sanguin', 'consulter le médecin pour un contrôle',
    'je voudrais prendre rendez-vous', 'je peux avoir un rdv', 'un rendez vous pour demain', "j'ai besoin de voir un médecin",
    'rdv la semaine prochaine svp', 'je voudrais voir le dermatologue', 'mes résultats sont arrivés', 'je veux mes résultats',
    "j'ai besoin d'une ordonnance", 'renouveler mon ordonnance', 'je suis malade', "j'ai de la fièvre et je tousse", "j'ai mal",
    'je veux parler à quelqu un', 'rappelez moi svp',
  ],
  it: [
    'appuntamento per un prelievo di sangue', 'prenotare gli esami del sangue', 'visita di controllo dal medico',
    'vorrei prendere un appuntamento', 'posso avere un appuntamento', 'un appuntamento per domani', 'devo vedere un medico',
    'appuntamento la settimana prossima', 'vorrei vedere il dermatologo', 'sono pronti i miei risultati', 'vorrei i risultati degli esami',
    'mi serve una ricetta', 'rinnovare la ricetta', 'sto male', 'ho la febbre e la tosse', 'mi fa male',
    'voglio parlare con qualcuno', 'mi richiamate',
  ],
  es: [
    'cita para sacarme sangre', 'reservar un analisis', 'consulta de revision con el medico',
    'quiero pedir una cita', 'me pueden dar cita', 'una cita para mañana', 'necesito ver a un medico',
    'cita la semana que viene', 'quiero ver al dermatologo', 'estan listos mis resultados', 'quiero mis resultados',
    'necesito una receta', 'renovar mi receta', 'me encuentro mal', 'tengo fiebre y tos', 'me duele',
    'quiero hablar con alguien', 'me pueden llamar',
  ],
  pt: [
    'marcação para colheita de sangue', 'marcar analises', 'consulta de rotina com o medico',
    'quero marcar uma consulta', 'posso marcar consulta', 'uma consulta para amanha', 'preciso de ver um medico',
    'consulta para a semana', 'queria ver o dermatologista', 'os meus resultados ja chegaram', 'quero os meus resultados',
    'preciso de uma receita', 'renovar a receita', 'estou doente', 'tenho febre e tosse', 'doi me',
    'quero falar com alguem', 'podem ligar me',
  ],
  de: [
    'termin für eine blutabnahme', 'bluttest buchen', 'kontrolltermin beim arzt',
    'ich möchte einen termin vereinbaren', 'kann ich einen termin bekommen', 'einen termin für morgen', 'ich muss zum arzt',
    'termin nächste woche bitte', 'ich möchte zum hautarzt', 'sind meine ergebnisse da', 'ich möchte meine befunde',
    'ich brauche ein rezept', 'rezept verlängern', 'mir geht es schlecht', 'ich habe fieber und husten', 'es tut weh',
    'ich will mit jemandem sprechen', 'rufen sie mich zurück',
  ],
};
