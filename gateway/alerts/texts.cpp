// The one table of localised alert texts (listed in schema/alerts.md): title and alert text
// per language and alert kind, {n} standing for parameter Pn.
#include <cstring>

#include "gateway/alerts/rules.hpp"

namespace dcgw::alerts {

namespace {

struct Row {
  const char* language;
  const char* kind;
  const char* title;
  const char* alert;
};

// clang-format off
constexpr Row kTexts[] = {
  {"en", "device-silent", "Device silent", "Device {1} ({2}) has sent nothing since {3} (more than {4} hours)"},
  {"de", "device-silent", "Gerät still", "Gerät {1} ({2}) hat seit {3} nichts gesendet (mehr als {4} Stunden)"},
  {"fr", "device-silent", "Appareil muet", "L'appareil {1} ({2}) n'a rien envoyé depuis {3} (plus de {4} heures)"},
  {"es", "device-silent", "Dispositivo sin datos", "El dispositivo {1} ({2}) no ha enviado nada desde {3} (más de {4} horas)"},
  {"en", "destination-failing", "Destination failing", "Forwarding to {1} has failed since {3}: {4}"},
  {"de", "destination-failing", "Ziel gestört", "Die Weiterleitung an {1} schlägt seit {3} fehl: {4}"},
  {"fr", "destination-failing", "Destination en échec", "Le transfert vers {1} échoue depuis {3} : {4}"},
  {"es", "destination-failing", "Destino con fallos", "El reenvío a {1} falla desde {3}: {4}"},
  {"en", "card-expiring", "Driver card expiring", "The driver card {1} of {3} {2} expires on {4} (in {5} days)"},
  {"de", "card-expiring", "Fahrerkarte läuft ab", "Die Fahrerkarte {1} von {3} {2} läuft am {4} ab (in {5} Tagen)"},
  {"fr", "card-expiring", "Carte conducteur bientôt expirée", "La carte conducteur {1} de {3} {2} expire le {4} (dans {5} jours)"},
  {"es", "card-expiring", "Tarjeta de conductor a punto de caducar", "La tarjeta de conductor {1} de {3} {2} caduca el {4} (en {5} días)"},
  {"en", "card-expired", "Driver card expired", "The driver card {1} of {3} {2} expired on {4}"},
  {"de", "card-expired", "Fahrerkarte abgelaufen", "Die Fahrerkarte {1} von {3} {2} ist am {4} abgelaufen"},
  {"fr", "card-expired", "Carte conducteur expirée", "La carte conducteur {1} de {3} {2} a expiré le {4}"},
  {"es", "card-expired", "Tarjeta de conductor caducada", "La tarjeta de conductor {1} de {3} {2} caducó el {4}"},
  {"en", "vu-download-overdue", "Vehicle unit download overdue", "The vehicle unit of {2} ({1}) was due for download on {4}; last download {3}"},
  {"de", "vu-download-overdue", "Download Fahrzeugeinheit überfällig", "Die Fahrzeugeinheit von {2} ({1}) war am {4} zum Download fällig; letzter Download {3}"},
  {"fr", "vu-download-overdue", "Téléchargement de l'unité embarquée en retard", "L'unité embarquée de {2} ({1}) devait être téléchargée le {4} ; dernier téléchargement {3}"},
  {"es", "vu-download-overdue", "Descarga de la unidad intravehicular atrasada", "La unidad intravehicular de {2} ({1}) debía descargarse el {4}; última descarga {3}"},
  {"en", "card-download-overdue", "Driver card download overdue", "The driver card {1} of {3} {2} was due for download on {5}; last download {4}"},
  {"de", "card-download-overdue", "Download Fahrerkarte überfällig", "Die Fahrerkarte {1} von {3} {2} war am {5} zum Download fällig; letzter Download {4}"},
  {"fr", "card-download-overdue", "Téléchargement de la carte conducteur en retard", "La carte conducteur {1} de {3} {2} devait être téléchargée le {5} ; dernier téléchargement {4}"},
  {"es", "card-download-overdue", "Descarga de la tarjeta de conductor atrasada", "La tarjeta de conductor {1} de {3} {2} debía descargarse el {5}; última descarga {4}"},
  {"en", "time-warning", "Driving time warning", "Driver {1}: {2}"},
  {"de", "time-warning", "Lenkzeitwarnung", "Fahrer {1}: {2}"},
  {"fr", "time-warning", "Alerte temps de conduite", "Conducteur {1} : {2}"},
  {"es", "time-warning", "Aviso de tiempo de conducción", "Conductor {1}: {2}"},
};

constexpr Row kCleared[] = {
  {"en", "", "", "Cleared: "},
  {"de", "", "", "Beendet: "},
  {"fr", "", "", "Terminé : "},
  {"es", "", "", "Finalizado: "},
};

// Seed 004 section 14.5, the level-2 values.
struct Warning {
  std::uint8_t value;
  const char* en;
  const char* de;
  const char* fr;
  const char* es;
};
constexpr Warning kWarnings[] = {
  {0x02, "Continuous driving time warning (4h30 exceeded)", "Warnung Lenkzeit ohne Unterbrechung (4 Std. 30 überschritten)", "Alerte durée de conduite continue (4 h 30 dépassées)", "Aviso de tiempo de conducción continua (4 h 30 superadas)"},
  {0x04, "Daily driving time warning", "Warnung Tageslenkzeit", "Alerte durée de conduite journalière", "Aviso de tiempo de conducción diaria"},
  {0x06, "Daily/weekly rest warning", "Warnung tägliche/wöchentliche Ruhezeit", "Alerte repos journalier/hebdomadaire", "Aviso de descanso diario/semanal"},
  {0x08, "Weekly driving time warning", "Warnung Wochenlenkzeit", "Alerte durée de conduite hebdomadaire", "Aviso de tiempo de conducción semanal"},
  {0x0A, "Two week driving time warning", "Warnung Doppelwochenlenkzeit", "Alerte durée de conduite sur deux semaines", "Aviso de tiempo de conducción bisemanal"},
};
// clang-format on

const Row* find(std::string_view language, std::string_view kind) {
  const Row* english = nullptr;
  for (const Row& r : kTexts) {
    if (kind != r.kind) continue;
    if (language == r.language) return &r;
    if (std::strcmp(r.language, "en") == 0) english = &r;
  }
  return english;
}

// {n} -> parameter n; an empty parameter reads "-" in the text (it stays empty as Pn).
std::string fill(const char* pattern, const std::vector<std::string>& params) {
  std::string out;
  for (const char* p = pattern; *p; ++p) {
    if (*p == '{') {
      const char* close = std::strchr(p, '}');
      if (close) {
        const std::size_t n = std::strtoul(std::string(p + 1, close).c_str(), nullptr, 10);
        if (n >= 1 && n <= params.size()) {
          out += params[n - 1].empty() ? "-" : params[n - 1];
          p = close;
          continue;
        }
      }
    }
    out += *p;
  }
  return out;
}

}  // namespace

bool isLanguage(std::string_view code) {
  for (const char* l : kLanguages)
    if (code == l) return true;
  return false;
}

Text localise(std::string_view language, std::string_view kind,
              const std::vector<std::string>& params) {
  const Row* r = find(language, kind);
  if (!r) return {std::string(kind), ""};
  return {r->title, fill(r->alert, params)};
}

std::string clearedPrefix(std::string_view language) {
  for (const Row& r : kCleared)
    if (language == r.language) return r.alert;
  return kCleared[0].alert;
}

std::string timeWarningDescription(std::string_view language, std::uint8_t value) {
  for (const Warning& w : kWarnings) {
    if (w.value != value) continue;
    if (language == "de") return w.de;
    if (language == "fr") return w.fr;
    if (language == "es") return w.es;
    return w.en;
  }
  return "";
}

}  // namespace dcgw::alerts
