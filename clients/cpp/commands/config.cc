// liftctl overrides set|clear|list, layers create|list, holdouts create|list|delete.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/cpp/commands/command.h"

namespace lift::cli {
namespace {

struct OverrideOptions {
  std::string experiment;
  std::string unit;
  std::string variant;
};

void AddOverrideCommands(CLI::App& app, Action* action) {
  CLI::App* overrides = app.add_subcommand("overrides", "Force a variant for single units (QA)");
  overrides->require_subcommand(1);

  auto set_options = std::make_shared<OverrideOptions>();
  CLI::App* set = overrides->add_subcommand("set", "Force VARIANT for unit ID in experiment KEY");
  set->add_option("key", set_options->experiment, "Experiment key")->required();
  set->add_option("--unit", set_options->unit, "Unit id")->required();
  set->add_option("--variant", set_options->variant, "Variant key")->required();
  set->callback([action, set_options] {
    *action = [set_options](lift::client::Client& client) {
      auto result =
          client.SetOverride(set_options->experiment, set_options->unit, set_options->variant);
      if (!result.ok()) return Fail(result.status());
      std::cout << "unit " << result->unit_id() << " now gets " << result->variant_key() << " in "
                << result->experiment_key() << std::endl;
      return 0;
    };
  });

  auto clear_options = std::make_shared<OverrideOptions>();
  CLI::App* clear = overrides->add_subcommand("clear", "Remove the override of unit ID");
  clear->add_option("key", clear_options->experiment, "Experiment key")->required();
  clear->add_option("--unit", clear_options->unit, "Unit id")->required();
  clear->callback([action, clear_options] {
    *action = [clear_options](lift::client::Client& client) {
      if (auto status = client.ClearOverride(clear_options->experiment, clear_options->unit);
          !status.ok()) {
        return Fail(status);
      }
      std::cout << "override of unit " << clear_options->unit << " in " << clear_options->experiment
                << " cleared" << std::endl;
      return 0;
    };
  });

  auto list_key = std::make_shared<std::string>();
  CLI::App* list = overrides->add_subcommand("list", "List the overrides of experiment KEY");
  list->add_option("key", *list_key, "Experiment key")->required();
  list->callback([action, list_key] {
    *action = [list_key](lift::client::Client& client) {
      auto result = client.ListOverrides(*list_key);
      if (!result.ok()) return Fail(result.status());
      std::printf("%-40s %-20s %s\n", "UNIT", "VARIANT", "SET BY");
      for (const auto& o : result->overrides()) {
        std::printf("%-40s %-20s %s\n", o.unit_id().c_str(), o.variant_key().c_str(),
                    o.created_by().c_str());
      }
      return 0;
    };
  });
}

void AddLayerCommands(CLI::App& app, Action* action) {
  CLI::App* layers = app.add_subcommand("layers", "Mutually exclusive groups of experiments");
  layers->require_subcommand(1);

  auto key = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto description = std::make_shared<std::string>();
  CLI::App* create = layers->add_subcommand("create", "Create layer KEY");
  create->add_option("key", *key, "Layer key")->required();
  create->add_option("--name", *name, "Human-readable name");
  create->add_option("--description", *description, "What the layer groups");
  create->callback([action, key, name, description] {
    *action = [key, name, description](lift::client::Client& client) {
      lift::v1::Layer layer;
      layer.set_key(*key);
      layer.set_name(*name);
      layer.set_description(*description);
      auto result = client.CreateLayer(layer);
      if (!result.ok()) return Fail(result.status());
      std::cout << "created layer " << result->key() << std::endl;
      return 0;
    };
  });

  layers->add_subcommand("list", "List layers and the slices their running experiments use")
      ->callback([action] {
        *action = [](lift::client::Client& client) {
          auto result = client.ListLayers();
          if (!result.ok()) return Fail(result.status());
          std::printf("%-24s %-24s %s\n", "KEY", "NAME", "RUNNING EXPERIMENTS [start, end)");
          for (const auto& l : result->layers()) {
            std::vector<std::string> members;
            for (const auto& m : l.running()) {
              members.push_back(
                  absl::StrCat(m.experiment_key(), " [", m.start(), ", ", m.end(), ")"));
            }
            std::printf("%-24s %-24s %s\n", l.key().c_str(), l.name().c_str(),
                        members.empty() ? "-" : absl::StrJoin(members, ", ").c_str());
          }
          return 0;
        };
      });
}

void AddHoldoutCommands(CLI::App& app, Action* action) {
  CLI::App* holdouts = app.add_subcommand("holdouts", "Shares of units kept out of experiments");
  holdouts->require_subcommand(1);

  struct CreateOptions {
    std::string key, name, description, layer;
    double share = 0.0;
  };
  auto create_options = std::make_shared<CreateOptions>();
  CLI::App* create = holdouts->add_subcommand("create", "Create holdout KEY");
  create->add_option("key", create_options->key, "Holdout key (also its hashing seed)")->required();
  create->add_option("--share", create_options->share, "Share of units held out, in [0, 1]")
      ->required();
  create->add_option("--layer", create_options->layer,
                     "Hold units out of this layer's experiments only (default: all)");
  create->add_option("--name", create_options->name, "Human-readable name");
  create->add_option("--description", create_options->description, "Why");
  create->callback([action, create_options] {
    *action = [create_options](lift::client::Client& client) {
      lift::v1::Holdout holdout;
      holdout.set_key(create_options->key);
      holdout.set_share(create_options->share);
      holdout.set_layer(create_options->layer);
      holdout.set_name(create_options->name);
      holdout.set_description(create_options->description);
      auto result = client.CreateHoldout(holdout);
      if (!result.ok()) return Fail(result.status());
      std::cout << "created holdout " << result->key() << " (" << result->share() * 100
                << "% of units, "
                << (result->layer().empty() ? "every experiment"
                                            : absl::StrCat("layer ", result->layer()))
                << ")" << std::endl;
      return 0;
    };
  });

  holdouts->add_subcommand("list", "List holdouts")->callback([action] {
    *action = [](lift::client::Client& client) {
      auto result = client.ListHoldouts();
      if (!result.ok()) return Fail(result.status());
      std::printf("%-24s %8s %-24s %s\n", "KEY", "SHARE", "LAYER", "NAME");
      for (const auto& h : result->holdouts()) {
        std::printf("%-24s %8g %-24s %s\n", h.key().c_str(), h.share(),
                    h.layer().empty() ? "(all)" : h.layer().c_str(), h.name().c_str());
      }
      return 0;
    };
  });

  auto delete_key = std::make_shared<std::string>();
  CLI::App* remove = holdouts->add_subcommand("delete", "Delete holdout KEY");
  remove->add_option("key", *delete_key, "Holdout key")->required();
  remove->callback([action, delete_key] {
    *action = [delete_key](lift::client::Client& client) {
      if (auto status = client.DeleteHoldout(*delete_key); !status.ok()) return Fail(status);
      std::cout << "deleted holdout " << *delete_key << std::endl;
      return 0;
    };
  });
}

}  // namespace

void AddConfigCommands(CLI::App& app, Action* action) {
  AddOverrideCommands(app, action);
  AddLayerCommands(app, action);
  AddHoldoutCommands(app, action);
}

}  // namespace lift::cli
